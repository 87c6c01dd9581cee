import { type DesktopDisplay, openDesktop, startVncServer } from '../../agent/tools/desktop/index.ts';
import type { RequestedCapability } from '../../daemon/viber-info.ts';
import { DESKTOP_VIEW_CAPABILITY } from '../../protocol/index.ts';

/** What `--desktop` (and `--vnc`) set up before the daemon starts. */
export interface StartedDesktop {
  /** What the desktop tools act on; undefined when the desktop is unavailable. */
  display: DesktopDisplay | undefined;
  /** `desktop`, and `desktop-view` with `--vnc`: each available, or with why not. */
  capabilities: RequestedCapability[];
  /** The live view's VNC socket, for the daemon. */
  desktopView?: { socketPath: string };
  /** Stops the VNC server and the Xvfb this process started. */
  close(): Promise<void>;
}

/**
 * `--desktop`: the display the tools act on (an Xvfb of its own without DISPLAY), or why there is
 * none; `--vnc` also starts the VNC server of the live view on that display. Each step says what it
 * did on standard output, and what failed (and why) on standard error; the daemon runs either way.
 */
export async function startDesktop(options: { vnc: boolean }): Promise<StartedDesktop> {
  const desktop = await openDesktop(process.env);
  const { status } = desktop;
  const capabilities: RequestedCapability[] = [];
  if (!status.available) {
    process.stderr.write(`desktop unavailable: ${status.reason}\n`);
    capabilities.push({ name: 'desktop', available: false, reason: status.reason });
    if (options.vnc) {
      const reason = `no desktop to show: ${status.reason}`;
      process.stderr.write(`live desktop view unavailable: ${reason}\n`);
      capabilities.push({ name: DESKTOP_VIEW_CAPABILITY, available: false, reason });
    }
    return { display: undefined, capabilities, close: () => desktop.close() };
  }
  if (status.startedXvfb)
    process.stdout.write(`desktop: started Xvfb on ${status.display} (pid ${status.xvfbPid})\n`);
  else process.stdout.write(`desktop: using the X display ${status.display}\n`);
  capabilities.push({ name: 'desktop', available: true });
  if (!options.vnc) return { display: desktop.display, capabilities, close: () => desktop.close() };
  try {
    const vnc = await startVncServer(status.display);
    process.stdout.write(
      `desktop: live view through the gateway (VNC on ${vnc.socketPath}, pid ${vnc.pid})\n`,
    );
    capabilities.push({ name: DESKTOP_VIEW_CAPABILITY, available: true });
    return {
      display: desktop.display,
      capabilities,
      desktopView: { socketPath: vnc.socketPath },
      async close() {
        await vnc.stop();
        await desktop.close();
      },
    };
  } catch (error) {
    const reason = (error as Error).message;
    process.stderr.write(`live desktop view unavailable: ${reason}\n`);
    capabilities.push({ name: DESKTOP_VIEW_CAPABILITY, available: false, reason });
    return { display: desktop.display, capabilities, close: () => desktop.close() };
  }
}
