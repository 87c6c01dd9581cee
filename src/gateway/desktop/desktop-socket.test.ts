import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesktopStack, type StackViber } from '../../../test/support/in-process/desktop-stack.ts';
import {
  challenged,
  type PairedOperator,
  pairOperator,
  type RawSocket,
} from '../../../test/support/in-process/device-clients.ts';
import { WS_CLOSE } from '../../protocol/index.ts';

// The desktop socket (docs/desktop.md, "Live view") on a gateway in this process, with a daemon
// whose VNC server is a real TigerVNC on a real Xvfb: what a viewer may do with each scope, the
// refusals, bad input from a viewer, and the end of a view when its viber goes away.

const PATH = '/api/desktop/ws';
const KEY_EVENT = [4, 1, 0, 0, 0, 0, 0, 0x61];
const RFB_OPENING = [...Buffer.from('RFB 003.008\n'), 1, 1];

let stack: DesktopStack;
let viberId: string;
let reader: PairedOperator;
let admin: PairedOperator;

/** A viewer of `viber` signed in as `who`, past the handshake. */
async function view(who: PairedOperator, viber: string, access?: string): Promise<RawSocket> {
  const query = new URLSearchParams({ viber, ...(access ? { access } : {}) });
  const { socket, connect } = await challenged(stack.gateway, `${PATH}?${query}`, who.identity, {
    role: 'operator',
    token: who.token,
  });
  socket.send(connect);
  expect((await socket.next()).type).toBe('connect.ok');
  return socket;
}

beforeAll(async () => {
  stack = await DesktopStack.start();
  viberId = (await stack.viber('desktop viber', { vnc: true })).viberId;
  reader = await pairOperator(stack.gateway, ['tasks.read', 'terminals.read']);
  admin = await pairOperator(stack.gateway, ['tasks.read', 'terminals.read', 'terminals.write']);
}, 60_000);

afterAll(() => stack?.cleanup());

describe('the desktop socket', () => {
  it('relays the VNC server to a read-only viewer and refuses its input and its take-over', async () => {
    const socket = await view(reader, viberId);
    expect(await socket.next()).toEqual({ type: 'desktop:ready', viberId, access: 'view' });
    // The server's first bytes: its protocol version, as a binary frame.
    expect(await socket.next()).toEqual({ unparsable: 'RFB 003.008\n' });
    // Three keys in a burst: one refusal (at most one a second).
    socket.ws.send(Buffer.from([...RFB_OPENING, ...KEY_EVENT]));
    socket.ws.send(Buffer.from(KEY_EVENT));
    socket.ws.send(Buffer.from(KEY_EVENT));
    socket.send({ type: 'desktop:release' });
    const before: unknown[] = [];
    for (let frame = await socket.next(); frame.type !== 'desktop:access'; frame = await socket.next()) {
      if (!('unparsable' in frame)) before.push(frame);
    }
    expect(before).toEqual([
      {
        type: 'desktop:refused',
        message: 'This is a read-only view: take over to use the mouse and keyboard.',
      },
    ]);
    socket.send({ type: 'desktop:take-over' });
    expect(await socket.nextOfType('desktop:error')).toEqual({
      type: 'desktop:error',
      code: 'forbidden',
      message:
        'this device lacks the scope terminals.write: an operator with devices.admin can grant it on the Devices page',
    });
    socket.send({ type: 'desktop:nonsense' });
    expect((await socket.nextOfType('desktop:error')).code).toBe('bad_request');
    await socket.close();
  });

  it('lets a viewer with terminals.write take over and release', async () => {
    const socket = await view(admin, viberId);
    expect((await socket.next()).type).toBe('desktop:ready');
    socket.send({ type: 'desktop:take-over' });
    expect(await socket.nextOfType('desktop:access')).toEqual({ type: 'desktop:access', access: 'control' });
    socket.send({ type: 'desktop:release' });
    expect(await socket.nextOfType('desktop:access')).toEqual({ type: 'desktop:access', access: 'view' });
    await socket.close();
  });

  it('refuses ?access=control and a bad query at the handshake, with why', async () => {
    const control = await challenged(
      stack.gateway,
      `${PATH}?viber=${viberId}&access=control`,
      reader.identity,
      {
        role: 'operator',
        token: reader.token,
      },
    );
    control.socket.send(control.connect);
    expect(await control.socket.closed).toEqual({
      code: WS_CLOSE.forbidden,
      reason: expect.stringContaining('lacks the scope terminals.write'),
    });
    const bad = await challenged(stack.gateway, `${PATH}?access=everything`, admin.identity, {
      role: 'operator',
      token: admin.token,
    });
    bad.socket.send(bad.connect);
    expect(await bad.socket.closed).toEqual({
      code: WS_CLOSE.forbidden,
      reason: expect.stringContaining('bad desktop view query'),
    });
  });

  it('says why there is no view: unknown viber, offline viber, viber without a VNC server', async () => {
    const unknown = await view(admin, 'viber_nope');
    expect(await unknown.next()).toEqual({
      type: 'desktop:error',
      code: 'not_found',
      message: 'no viber viber_nope is registered',
    });
    const offline = await stack.gateway.gateway.registerViber('never connected');
    const away = await view(admin, offline.id);
    expect(await away.next()).toMatchObject({ code: 'viber_offline' });
    const plain: StackViber = await stack.viber('plain viber', { vnc: false });
    const none = await view(admin, plain.viberId);
    expect(await none.next()).toEqual({
      type: 'desktop:error',
      code: 'not_supported',
      message: `viber ${plain.viberId} offers no live desktop view: start it with viber start --desktop --vnc`,
    });
  });

  it('ends a view that sends what is not RFB, and keeps serving others', async () => {
    const socket = await view(admin, viberId);
    expect((await socket.next()).type).toBe('desktop:ready');
    socket.ws.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await socket.nextOfType('desktop:closed')).toEqual({
      type: 'desktop:closed',
      reason: 'not an RFB 3.3-3.8 client (it sent "GET / HTTP/1")',
    });
    expect((await socket.closed).code).toBe(1000);
    const again = await view(admin, viberId);
    expect((await again.next()).type).toBe('desktop:ready');
    expect(await again.next()).toEqual({ unparsable: 'RFB 003.008\n' });
    await again.close();
  });

  it('ends the view when its viber disconnects', async () => {
    const other = await stack.viber('leaving viber', { vnc: true });
    const socket = await view(admin, other.viberId);
    expect((await socket.next()).type).toBe('desktop:ready');
    await other.daemon.close();
    expect(await socket.nextOfType('desktop:closed')).toEqual({
      type: 'desktop:closed',
      reason: 'the viber disconnected',
    });
  });
});
