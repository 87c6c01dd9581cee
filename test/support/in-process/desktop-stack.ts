import pino from 'pino';
import {
  startVncServer,
  startXvfb,
  type VirtualDisplay,
  type VncServer,
} from '../../../src/agent/tools/desktop/index.ts';
import { resolveHome } from '../../../src/core/home.ts';
import { type RunningDaemon, startDaemon } from '../../../src/daemon/index.ts';
import { DESKTOP_VIEW_CAPABILITY } from '../../../src/protocol/index.ts';
import { makeTempDir, removeTempDir } from '../temp-dirs.ts';
import { waitFor } from '../wait.ts';
import { TestGateway } from './test-gateway.ts';

/** A daemon of the stack, with its home. */
export interface StackViber {
  daemon: RunningDaemon;
  viberId: string;
  close(): Promise<void>;
}

/**
 * A gateway in this process, a real Xvfb with TigerVNC's server on it, and daemons that offer (or
 * not) the live desktop view: what the desktop socket's tests run on.
 */
export class DesktopStack {
  readonly gateway: TestGateway;
  readonly display: VirtualDisplay;
  readonly vnc: VncServer;
  readonly #vibers: StackViber[] = [];

  private constructor(gateway: TestGateway, display: VirtualDisplay, vnc: VncServer) {
    this.gateway = gateway;
    this.display = display;
    this.vnc = vnc;
  }

  static async start(): Promise<DesktopStack> {
    const gateway = await TestGateway.start();
    const display = await startXvfb('640x480x24');
    const vnc = await startVncServer(display.display);
    return new DesktopStack(gateway, display, vnc);
  }

  /** A connected daemon; with `vnc` it offers the live view of the stack's display. */
  async viber(name: string, options: { vnc: boolean }): Promise<StackViber> {
    const dir = makeTempDir('desktop-view');
    const registered = await this.gateway.gateway.registerViber(name);
    const daemon = await startDaemon({
      home: resolveHome({ OPENVIBER_HOME: dir }),
      serverUrl: this.gateway.gateway.wsUrl,
      viberId: registered.id,
      token: registered.token,
      config: {},
      startAgentTask: () => {
        throw new Error('no tasks in desktop view tests');
      },
      terminals: { enabled: false },
      ...(options.vnc
        ? {
            desktopView: { socketPath: this.vnc.socketPath },
            capabilities: [{ name: DESKTOP_VIEW_CAPABILITY, available: true as const }],
          }
        : {}),
      shutdownGraceMs: 500,
      logger: pino({ level: 'silent' }),
    });
    await daemon.connected();
    await waitFor(
      async () =>
        (await this.gateway.client.call('vibers.get', { params: { id: registered.id } })).info?.id ===
        registered.id,
      { description: `${name} connected` },
    );
    const viber = {
      daemon,
      viberId: registered.id,
      close: async () => {
        await daemon.close();
        removeTempDir(dir);
      },
    };
    this.#vibers.push(viber);
    return viber;
  }

  async cleanup(): Promise<void> {
    for (const viber of this.#vibers) await viber.close();
    await this.vnc.stop();
    await this.display.stop();
    await this.gateway.cleanup();
  }
}
