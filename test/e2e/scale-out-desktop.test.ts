import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  answerChallenge,
  generateDeviceKeys,
  identityFromKeyPair,
} from '../../src/client/device-identity.ts';
import type { ConnectChallenge, ViberView } from '../../src/protocol/index.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { threeGateways } from '../support/scale-out-stack.ts';
import { type GatewayHandle, spawnDaemon } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// The live desktop view across gateways (docs/deploy.md, "Scale-out"): a viber started with
// `--desktop --vnc` behind gateway A (a real Xvfb and TigerVNC), viewed through gateway C (three
// gateway processes on one real PostgreSQL and one real Redis). C keeps the viewer's socket and
// its read-only filter; A opens the VNC connection. When A dies, C's viewer is told why.

useE2eCleanup();

const HEARTBEAT_MS = 1_000;
const WENT_AWAY = 'the gateway holding this viber went away';
const VNC_LINE = /desktop: live view through the gateway \(VNC on (\S+), pid (\d+)\)/;
const XVFB_LINE = /desktop: started Xvfb on (:\d+) \(pid (\d+)\)/;
/** The client's version, security type None, ClientInit (shared). */
const RFB_OPENING = [...Buffer.from('RFB 003.008\n'), 1, 1];

function pointer(display: string): { x: number; y: number } {
  const out = execFileSync('xdotool', ['getmouselocation', '--shell'], {
    env: { ...process.env, DISPLAY: display },
  });
  const value = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(out.toString())?.[1]);
  return { x: value('X'), y: value('Y') };
}

/** An RFB PointerEvent at (x, y): a move, or with `buttons` held a press. */
function pointerEvent(x: number, y: number, buttons = 0): Buffer {
  return Buffer.from([5, buttons, x >> 8, x & 0xff, y >> 8, y & 0xff]);
}

// biome-ignore lint/suspicious/noExplicitAny: the test inspects arbitrary JSON frames.
type Frame = any;

/** A raw desktop socket: its frames in order (binary ones as `{ unparsable: text }`). */
class DesktopViewer {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #frames: Frame[] = [];
  #read = 0;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.ws.on('message', (data) => {
      try {
        this.#frames.push(JSON.parse(data.toString()));
      } catch {
        this.#frames.push({ unparsable: data.toString() });
      }
    });
  }

  /** The next frame (of `type`, skipping others). */
  next(type?: string, timeoutMs = 10_000): Promise<Frame> {
    return waitFor(
      () => {
        while (this.#read < this.#frames.length) {
          const frame = this.#frames[this.#read++];
          if (type === undefined || frame?.type === type) return frame;
        }
        return undefined;
      },
      { timeoutMs, intervalMs: 10, description: type ?? 'a frame' },
    );
  }

  nextOfType(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next(type, timeoutMs);
  }

  send(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1000);
    return this.closed;
  }
}

/** A viewer of `viberId`'s desktop on `gateway`, signed in with the operator token, past the handshake. */
async function view(gateway: GatewayHandle, viberId: string): Promise<DesktopViewer> {
  const query = new URLSearchParams({ viber: viberId });
  const socket = new DesktopViewer(`${gateway.url.replace(/^http/, 'ws')}/api/desktop/ws?${query}`);
  onCleanup(async () => {
    await socket.close();
  });
  const challenge = (await socket.next()) as ConnectChallenge;
  expect(challenge.type).toBe('connect.challenge');
  const identity = await identityFromKeyPair(await generateDeviceKeys(true));
  socket.send(await answerChallenge(identity, challenge, { role: 'operator', token: gateway.operatorToken }));
  expect((await socket.next()).type).toBe('connect.ok');
  return socket;
}

describe('the desktop view across gateways', { timeout: 240_000 }, () => {
  it('a desktop on a viber behind A is viewed, refused read-only and taken over through C', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'unused' }) });
    const [a, , c] = await threeGateways(HEARTBEAT_MS);
    const viber = await a!.rest.registerViber('desktop-viber');
    const daemon = await spawnDaemon({
      serverUrl: a!.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'desktop-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
      args: ['--desktop', '--vnc'],
      env: { DISPLAY: undefined },
    });
    const [, display = '', xvfbPid] = await daemon.process.waitForLine(XVFB_LINE);
    const [, , vncPid] = await daemon.process.waitForLine(VNC_LINE);
    onCleanup(() => {
      for (const pid of [Number(vncPid), Number(xvfbPid)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    });
    await waitFor(
      async () => {
        const seen = (await c!.rest.getViber(viber.id)) as ViberView;
        return seen.presence !== 'offline' && (seen.info?.capabilities ?? []).includes('desktop-view');
      },
      { description: 'the viber online on C, with its live view' },
    );
    execFileSync('xdotool', ['mousemove', '1200', '700'], { env: { ...process.env, DISPLAY: display } });

    // Through C: ready, then the VNC server's version, relayed from A.
    const socket = await view(c!, viber.id);
    expect(await socket.next()).toEqual({ type: 'desktop:ready', viberId: viber.id, access: 'view' });
    expect(await socket.next()).toEqual({ unparsable: 'RFB 003.008\n' });

    // Read-only: C refuses a click, and the X pointer stays where it was.
    socket.ws.send(Buffer.from([...RFB_OPENING, ...pointerEvent(100, 100, 1)]));
    expect(await socket.nextOfType('desktop:refused')).toEqual({
      type: 'desktop:refused',
      message: 'This is a read-only view: take over to use the mouse and keyboard.',
    });
    expect(pointer(display)).toEqual({ x: 1200, y: 700 });

    // Taken over on C: the pointer event travels through A to the desktop.
    socket.send({ type: 'desktop:take-over' });
    expect(await socket.nextOfType('desktop:access')).toEqual({ type: 'desktop:access', access: 'control' });
    socket.ws.send(pointerEvent(640, 360));
    await waitFor(
      () => {
        const { x, y } = pointer(display);
        return x === 640 && y === 360;
      },
      { description: 'the X pointer moved by the viewer on C' },
    );
    const logOfA = () => a!.process.stdout + a!.process.stderr;
    expect(logOfA()).toContain('desktop view of another gateway opened');

    // A second viewer on C closes its socket: A closes its VNC connection.
    const second = await view(c!, viber.id);
    expect((await second.next()).type).toBe('desktop:ready');
    expect(await second.next()).toEqual({ unparsable: 'RFB 003.008\n' });
    await second.close();
    await waitFor(() => logOfA().includes('desktop view of another gateway closed'), {
      description: 'the second view closed on A',
    });

    // A dies: C closes the view, saying why.
    await a!.process.kill('SIGKILL');
    expect(await socket.nextOfType('desktop:closed', 30_000)).toEqual({
      type: 'desktop:closed',
      reason: WENT_AWAY,
    });
    expect((await socket.closed).code).toBe(1000);
  });
});
