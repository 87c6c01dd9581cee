import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { errorMessage, ToolError } from '../tool-error.ts';
import { DESKTOP_BINARIES, DESKTOP_PACKAGES, type DesktopDisplay, runX } from './x-command.ts';
import { startXvfb, type VirtualDisplay } from './xvfb.ts';

/** Whether this viber can offer the desktop capability, and why not when it cannot. */
export type DesktopStatus =
  | { available: true; display: string; startedXvfb: boolean; xvfbPid?: number }
  | { available: false; reason: string };

export interface OpenDesktop {
  status: DesktopStatus;
  /** Set when available: what the tools act on. */
  display?: DesktopDisplay;
  /** Stops the Xvfb this opened, if it opened one. */
  close(): Promise<void>;
}

/** Variables X programs need beyond DISPLAY. */
const X_VARIABLES = ['PATH', 'HOME', 'XAUTHORITY', 'LANG', 'LC_ALL'];

/**
 * Prepares the desktop for `viber start --desktop`: the X tools must be on PATH; with DISPLAY set
 * that display must answer, and without it an `Xvfb` is started on a free display number (and
 * stopped by close()). Never throws: what is missing becomes the capability's reason.
 */
export async function openDesktop(env: NodeJS.ProcessEnv): Promise<OpenDesktop> {
  const unavailable = (reason: string): OpenDesktop => ({
    status: { available: false, reason },
    close: async () => {},
  });
  const missing = DESKTOP_BINARIES.filter((name) => !onPath(name, env.PATH));
  if (missing.length > 0) {
    return unavailable(
      `missing X tools: ${missing.join(', ')} (Debian: apt-get install ${DESKTOP_PACKAGES.join(' ')})`,
    );
  }
  let xvfb: VirtualDisplay | undefined;
  let display = env.DISPLAY?.trim();
  if (!display) {
    if (!onPath('Xvfb', env.PATH)) {
      return unavailable(
        'DISPLAY is not set and Xvfb is not installed to start a virtual display (Debian: xvfb)',
      );
    }
    try {
      xvfb = await startXvfb();
    } catch (error) {
      return unavailable(`DISPLAY is not set and a virtual display could not start: ${errorMessage(error)}`);
    }
    display = xvfb.display;
  }
  const desktop: DesktopDisplay = { display, env: xEnvironment(env, display) };
  try {
    await runX(desktop, 'xdotool', ['getdisplaygeometry'], {
      signal: AbortSignal.timeout(10_000),
      action: `check the display ${display}`,
    });
  } catch (error) {
    await xvfb?.stop();
    return unavailable(ToolError.isInstance(error) ? error.message : errorMessage(error));
  }
  return {
    status: {
      available: true,
      display,
      startedXvfb: xvfb !== undefined,
      ...(xvfb ? { xvfbPid: xvfb.pid } : {}),
    },
    display: desktop,
    close: async () => xvfb?.stop(),
  };
}

function xEnvironment(env: NodeJS.ProcessEnv, display: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { DISPLAY: display };
  for (const name of X_VARIABLES) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

function onPath(name: string, path = ''): boolean {
  return path.split(delimiter).some((folder) => {
    if (!folder) return false;
    try {
      accessSync(join(folder, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
