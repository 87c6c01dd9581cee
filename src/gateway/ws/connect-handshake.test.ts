import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectAsk,
  challenged,
  connectOperatorSocket,
  type DeviceIdentity,
  HandshakeRefusedError,
  newIdentity,
  openWsSocket,
  type PairedOperator,
  pairOperator,
  RawSocket,
  rawConnect,
  wsBase,
} from '../../../test/support/in-process/device-clients.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { rawRequest } from '../../../test/support/rest-client.ts';
import { sleep } from '../../../test/support/wait.ts';
import {
  MAX_PREAUTH_FRAME_BYTES,
  type OperatorScope,
  OperatorScopeSchema,
  WS_CLOSE,
} from '../../protocol/index.ts';
import { hashToken } from '../auth/token-hash.ts';
import { GATEWAY_DB_FILE } from '../store/index.ts';
import { terminalSocketPath } from '../terminals/terminal-socket-path.ts';

// Bad input at the connect handshake, over real sockets to a gateway in this process: each is
// refused with its own code in connect.refused and close 4401, changes nothing (the device list
// is the same before and after), leaks no secret into the logs, and leaves the gateway serving
// everyone else.

const ALL_SCOPES: OperatorScope[] = [...OperatorScopeSchema.options];

/** Every log line the gateways wrote, to look for secrets in. */
const logLines: string[] = [];
const logger = () => pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
/** Every secret the tests handled: none may reach a log line. */
const secrets = new Set<string>([TEST_OPERATOR_TOKEN]);

let harness: TestGateway;
/** An operator that stays connected throughout and must keep being served. */
let bystander: PairedOperator;
/** A paired operator holding only tasks.read. */
let alice: PairedOperator;
let viber: { id: string; token: string };
let viberKey: DeviceIdentity;

beforeAll(async () => {
  harness = await TestGateway.start({ logger: logger(), authFailureLimit: { max: 100_000 } });
  bystander = await pairOperator(harness, ALL_SCOPES);
  alice = await pairOperator(harness, ['tasks.read']);
  viber = await harness.gateway.registerViber('handshake-viber');
  viberKey = await newIdentity();
  for (const secret of [bystander.token, bystander.pairingCode, alice.token, alice.pairingCode, viber.token])
    secrets.add(secret);
});

afterAll(async () => {
  await bystander?.connection.close();
  await alice?.connection.close();
  await harness?.cleanup();
});

/** GET /api/devices, without what reading it changes (the operator token's last use). */
async function devicesNow(gateway: TestGateway = harness): Promise<unknown[]> {
  const { status, json } = await gateway.api('GET', '/api/devices');
  expect(status).toBe(200);
  return json.devices.map((device: { id: string; tokenLastUsedAt: string | null }) =>
    device.id === 'operator-token' ? { ...device, tokenLastUsedAt: null } : device,
  );
}

/** Refused with `code` (`answer`: the frame already read, if it was), then closed with 4401. */
// biome-ignore lint/suspicious/noExplicitAny: a frame as it came.
async function expectRefused(socket: RawSocket, code: string, answer?: any): Promise<void> {
  const frame = answer ?? (await socket.next());
  expect(frame).toMatchObject({ type: 'connect.refused', code });
  expect(typeof frame.message).toBe('string');
  expect((await socket.closed).code).toBe(WS_CLOSE.unauthorized);
}

/** The bystander's socket is still open and answered. */
async function expectStillServing(): Promise<void> {
  const { devices } = await bystander.connection.call('devices.list');
  expect(devices.length).toBeGreaterThan(0);
  expect((await harness.client.call('health.get')).status).toBeDefined();
}

/** The sockets and how a device with credentials connects to each. */
const SOCKETS = [
  { label: 'the operator socket', path: '/api/ws', role: 'operator' as const },
  { label: 'the terminal socket', path: terminalSocketPath(), role: 'operator' as const },
  { label: 'the daemon socket', path: '/ws', role: 'node' as const },
];

function credentialsFor(role: 'operator' | 'node'): { identity: DeviceIdentity; ask: ConnectAsk } {
  return role === 'operator'
    ? { identity: alice.identity, ask: { role: 'operator', token: alice.token } }
    : { identity: viberKey, ask: { role: 'node', token: viber.token, viberId: viber.id } };
}

describe.each(SOCKETS)('bad frames on $label', ({ path, role }) => {
  it('refuses a frame that is not JSON', async () => {
    const before = await devicesNow();
    const socket = new RawSocket(`${wsBase(harness)}${path}`);
    expect((await socket.next()).type).toBe('connect.challenge');
    socket.send('this is { not json');
    await expectRefused(socket, 'bad_handshake');
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses a first frame of another type', async () => {
    const before = await devicesNow();
    const socket = new RawSocket(`${wsBase(harness)}${path}`);
    await socket.next();
    socket.send({ type: 'req', id: 'r1', method: 'tasks.list' });
    await expectRefused(socket, 'bad_handshake');
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses an oversized frame before the handshake', async () => {
    const before = await devicesNow();
    const { socket, connect } = await challenged(harness, path, await newIdentity(), { role });
    socket.send({ ...connect, name: 'x'.repeat(MAX_PREAUTH_FRAME_BYTES) });
    await expectRefused(socket, 'payload_too_large');
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses a forged signature', async () => {
    const { identity, ask } = credentialsFor(role);
    const before = await devicesNow();
    // Signed by another key, claiming the device's key.
    const { socket, connect } = await challenged(harness, path, await newIdentity(), ask);
    socket.send({
      ...connect,
      device: { ...connect.device, id: identity.id, publicKey: identity.publicKey },
    });
    await expectRefused(socket, 'bad_signature');
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it("refuses a signature over another socket's nonce (a replay)", async () => {
    const { identity, ask } = credentialsFor(role);
    const first = await challenged(harness, path, identity, ask);
    const live = await connectionsOf(role === 'node' ? `viber-${viber.id}` : alice.deviceId);
    first.socket.send(first.connect);
    const ok = await first.socket.next();
    expect(ok).toMatchObject({ type: 'connect.ok' });
    await first.socket.close();
    await waitForConnections(ok.deviceId, live);
    const before = await devicesNow();
    const second = new RawSocket(`${wsBase(harness)}${path}`);
    expect((await second.next()).type).toBe('connect.challenge');
    second.send(first.connect);
    await expectRefused(second, 'replayed_nonce');
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses a clock three minutes off', async () => {
    const { identity, ask } = credentialsFor(role);
    const before = await devicesNow();
    const { socket, connect } = await challenged(harness, path, identity, ask, {
      signedAt: Date.now() - 3 * 60_000,
    });
    socket.send(connect);
    await expectRefused(socket, 'clock_skew');
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });
});

describe('who may connect to the operator socket', () => {
  it("refuses a node's token", async () => {
    const before = await devicesNow();
    const { socket, answer } = await rawConnect(harness, '/api/ws', await newIdentity(), {
      role: 'operator',
      token: viber.token,
    });
    await expectRefused(socket, 'scope_denied', answer);
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses an operator asking a scope it lacks', async () => {
    const before = await devicesNow();
    const { socket, answer } = await rawConnect(harness, '/api/ws', alice.identity, {
      role: 'operator',
      token: alice.token,
      scopes: ['devices.admin'],
    });
    await expectRefused(socket, 'scope_denied', answer);
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses a revoked device', async () => {
    const bob = await pairOperator(harness, ['tasks.read']);
    secrets.add(bob.token).add(bob.pairingCode);
    expect((await harness.api('POST', `/api/devices/${bob.deviceId}/revoke`)).status).toBe(200);
    await bob.connection.closed;
    await waitForConnections(bob.deviceId, 0);
    const before = await devicesNow();
    const { socket, answer } = await rawConnect(harness, '/api/ws', bob.identity, {
      role: 'operator',
      token: bob.token,
    });
    await expectRefused(socket, 'revoked', answer);
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses a pairing code that has expired', async () => {
    const minted = await harness.client.call('pairingCodes.create', { body: { role: 'operator' } });
    secrets.add(minted.code);
    // Its ten minutes are over: the store is told so directly (the gateway's clock is the real one).
    const db = new DatabaseSync(join(harness.home.gateway, GATEWAY_DB_FILE));
    try {
      db.exec('PRAGMA busy_timeout = 5000');
      const expired = db
        .prepare('UPDATE login_codes SET expires_at = :past WHERE code_hash = :hash')
        .run({ past: new Date(Date.now() - 1_000).toISOString(), hash: hashToken(minted.code) });
      expect(Number(expired.changes)).toBe(1);
    } finally {
      db.close();
    }
    const before = await devicesNow();
    const { socket, answer } = await rawConnect(harness, '/api/ws', await newIdentity(), {
      role: 'operator',
      pairingCode: minted.code,
    });
    await expectRefused(socket, 'pairing_code_invalid', answer);
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('refuses a pairing code already used', async () => {
    const minted = await harness.client.call('pairingCodes.create', { body: { role: 'operator' } });
    secrets.add(minted.code);
    const first = await connectOperatorSocket(harness.gateway.url, {
      identity: await newIdentity(),
      pairingCode: minted.code,
      openSocket: openWsSocket,
    });
    secrets.add(first.ok.deviceToken ?? '');
    await first.close();
    const before = await devicesNow();
    const { socket, answer } = await rawConnect(harness, '/api/ws', await newIdentity(), {
      role: 'operator',
      pairingCode: minted.code,
    });
    await expectRefused(socket, 'pairing_code_invalid', answer);
    expect(await devicesNow()).toEqual(before);
    await expectStillServing();
  });

  it('pairs a waiting device that comes back with a valid code; a bad code leaves its request as it was', async () => {
    const identity = await newIdentity();
    const waiting = await rawConnect(harness, '/api/ws', identity, { role: 'operator' });
    expect(waiting.answer.type).toBe('connect.pairing');
    const before = await devicesNow();
    const bad = await rawConnect(harness, '/api/ws', identity, {
      role: 'operator',
      pairingCode: 'ovc_not-a-code',
    });
    await expectRefused(bad.socket, 'pairing_code_invalid', bad.answer);
    expect(await devicesNow()).toEqual(before);
    const minted = await harness.client.call('pairingCodes.create', { body: { role: 'operator' } });
    secrets.add(minted.code);
    const coded = await rawConnect(harness, '/api/ws', identity, {
      role: 'operator',
      pairingCode: minted.code,
    });
    expect(coded.answer).toMatchObject({ type: 'connect.ok', deviceId: identity.id });
    secrets.add(coded.answer.deviceToken);
    // The older socket's wait is over: one socket waits per device.
    await expectRefused(waiting.socket, 'pairing_expired');
    await coded.socket.close();
  });

  it('closes the live socket of a device when it is revoked', async () => {
    const erin = await pairOperator(harness, ['tasks.read']);
    secrets.add(erin.token).add(erin.pairingCode);
    expect((await erin.connection.call('tasks.list')).tasks).toBeDefined();
    expect((await harness.api('POST', `/api/devices/${erin.deviceId}/revoke`)).status).toBe(200);
    const closed = await erin.connection.closed;
    expect(closed.code).toBe(WS_CLOSE.unauthorized);
    expect(closed.reason).toContain('revoked');
    const rest = await rawRequest(`${harness.gateway.url}/api/tasks`, 'GET', { token: erin.token });
    expect(rest.status).toBe(401);
    await expectStillServing();
  });

  it('gives a new operator device every scope but devices.admin unless the approver grants more', async () => {
    const asking = async () => {
      const identity = await newIdentity();
      const { socket, answer } = await rawConnect(harness, '/api/ws', identity, { role: 'operator' });
      expect(answer.type).toBe('connect.pairing');
      return { identity, socket };
    };
    const plain = await asking();
    const pending = (await harness.api('GET', '/api/devices')).json.devices.find(
      (device: { id: string }) => device.id === plain.identity.id,
    );
    expect(pending.scopes).not.toContain('devices.admin');
    expect(pending.scopes).toHaveLength(8);
    const approved = await harness.api('POST', `/api/devices/${plain.identity.id}/approve`, {});
    expect(approved.json.scopes).toEqual(pending.scopes);
    const trusted = await asking();
    const granted = await harness.api('POST', `/api/devices/${trusted.identity.id}/approve`, {
      scopes: ['devices.admin', 'tasks.read'],
    });
    expect(granted.json.scopes).toEqual(['devices.admin', 'tasks.read']);
    for (const { socket } of [plain, trusted]) {
      const ok = await socket.next();
      expect(ok).toMatchObject({ type: 'connect.ok' });
      secrets.add(ok.deviceToken);
      await socket.close();
    }
  });

  it('hands a pending device its token over the waiting socket once approved', async () => {
    const identity = await newIdentity();
    let pairingCode = '';
    const connecting = connectOperatorSocket(harness.gateway.url, {
      identity,
      name: 'waiting laptop',
      scopes: ['tasks.read'],
      openSocket: openWsSocket,
      onPairing: (pairing) => {
        pairingCode = pairing.code;
      },
    });
    const pending = await waitForPending(identity.id);
    expect(pending).toMatchObject({ status: 'pending', name: 'waiting laptop' });
    expect(pairingCode).toBe(pending.pairingCode);
    const approved = await harness.api('POST', `/api/devices/${identity.id}/approve`, {
      scopes: ['tasks.read'],
    });
    expect(approved.json).toMatchObject({ status: 'paired', scopes: ['tasks.read'] });
    const connection = await connecting;
    const token = connection.ok.deviceToken;
    expect(token).toMatch(/^ovd_/);
    secrets.add(token ?? '');
    const rest = await rawRequest<{ tasks: unknown[] }>(`${harness.gateway.url}/api/tasks`, 'GET', {
      token: token ?? null,
    });
    expect(rest.status).toBe(200);
    expect((await connection.call('tasks.list')).tasks).toEqual(rest.body.tasks);
    await connection.close();
  });

  it('keeps an approval for a device whose waiting socket went away: it collects the token next time', async () => {
    const identity = await newIdentity();
    const { socket, answer } = await rawConnect(harness, '/api/ws', identity, { role: 'operator' });
    expect(answer.type).toBe('connect.pairing');
    await socket.close();
    // Whether or not the gateway has seen the close yet, the token must not be lost with it.
    expect((await harness.api('POST', `/api/devices/${identity.id}/approve`, {})).status).toBe(200);
    const connection = await connectOperatorSocket(harness.gateway.url, {
      identity,
      openSocket: openWsSocket,
    });
    expect(connection.ok.deviceToken).toMatch(/^ovd_/);
    secrets.add(connection.ok.deviceToken ?? '');
    const rest = await rawRequest(`${harness.gateway.url}/api/tasks`, 'GET', {
      token: connection.ok.deviceToken ?? null,
    });
    expect(rest.status).toBe(200);
    await connection.close();
  });
});

describe('loopback auto-approval of nodes', () => {
  let defaults: TestGateway;

  beforeAll(async () => {
    // The default: loopback nodes are paired at once (as `viber up` needs).
    defaults = await TestGateway.start({ logger: logger() });
  });

  afterAll(async () => {
    await defaults?.cleanup();
  });

  it('pairs a node connecting straight over loopback, never one whose upgrade carries X-Forwarded-For', async () => {
    // Through a proxy on this machine: the proxy connects from loopback, the header names the client.
    const proxied = await newIdentity();
    const forwarded = await rawConnect(
      defaults,
      '/ws',
      proxied,
      { role: 'node', name: 'behind a proxy' },
      { headers: { 'X-Forwarded-For': '203.0.113.7' } },
    );
    expect(forwarded.answer).toMatchObject({ type: 'connect.pairing', deviceId: proxied.id });
    expect((await defaults.api('GET', '/api/devices')).json.devices).toContainEqual(
      expect.objectContaining({ id: proxied.id, status: 'pending', role: 'node' }),
    );
    await forwarded.socket.close();

    const direct = await newIdentity();
    const local = await rawConnect(defaults, '/ws', direct, { role: 'node', name: 'on this machine' });
    expect(local.answer).toMatchObject({ type: 'connect.ok', role: 'node', deviceId: direct.id });
    expect(local.answer.viberId).toMatch(/^viber_/);
    secrets.add(local.answer.deviceToken ?? '');
    await local.socket.close();
  });
});

async function connectionsOf(deviceId: string): Promise<number | undefined> {
  const { json } = await harness.api('GET', '/api/devices');
  return json.devices.find((device: { id: string }) => device.id === deviceId)?.connections;
}

/** Until the gateway counts `count` live sockets of the device (it sees a close about when the client does). */
async function waitForConnections(deviceId: string, count: number | undefined): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if ((await connectionsOf(deviceId)) === count) return;
    await sleep(25);
  }
  throw new Error(`device ${deviceId} never had ${count} live sockets`);
}

async function waitForPending(deviceId: string) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { json } = await harness.api('GET', '/api/devices');
    const found = json.devices.find((device: { id: string }) => device.id === deviceId);
    if (found) return found;
    await sleep(25);
  }
  throw new Error(`device ${deviceId} never asked to be paired`);
}

describe('a handshake that never finishes', () => {
  let slow: TestGateway;

  beforeAll(async () => {
    slow = await TestGateway.start({ logger: logger(), connectTimeoutMs: 2_000 });
  });

  afterAll(async () => {
    await slow?.cleanup();
  });

  it('is refused with handshake_timeout, while the gateway serves another client', async () => {
    const before = await devicesNow(slow);
    const silent = new RawSocket(`${wsBase(slow)}/api/ws`);
    expect((await silent.next()).type).toBe('connect.challenge');
    // Meanwhile: another device pairs, connects and is answered.
    const other = await pairOperator(slow, ['tasks.read']);
    secrets.add(other.token).add(other.pairingCode);
    expect((await other.connection.call('tasks.list')).tasks).toEqual([]);
    await expectRefused(silent, 'handshake_timeout');
    const after = await devicesNow(slow);
    expect(after.filter((device) => (device as { id: string }).id !== other.deviceId)).toEqual(before);
    expect((await other.connection.call('vibers.list')).vibers).toEqual([]);
    await other.connection.close();
  });
});

describe('the failure limit', () => {
  let limited: TestGateway;
  let a: PairedOperator;
  let b: PairedOperator;

  beforeAll(async () => {
    limited = await TestGateway.start({ logger: logger(), authFailureLimit: { max: 3, windowMs: 60_000 } });
    a = await pairOperator(limited, ['tasks.read']);
    b = await pairOperator(limited, ['tasks.read']);
    for (const secret of [a.token, a.pairingCode, b.token, b.pairingCode]) secrets.add(secret);
    // A's token goes stale: rotated (it would collect a new one on its next signed connect).
    expect((await limited.api('POST', `/api/devices/${a.deviceId}/rotate`)).status).toBe(200);
    await a.connection.closed;
  });

  afterAll(async () => {
    await b?.connection.close();
    await limited?.cleanup();
  });

  const get = (token: string) => rawRequest(`${limited.gateway.url}/api/tasks`, 'GET', { token });

  it("does not lock another device out for one device's stale token", async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt += 1) statuses.push((await get(a.token)).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    // A's own failures limit A's token...
    expect(statuses.at(-1)).toBe(429);
    // ...not B, from the same address, nor the address itself.
    expect((await get(b.token)).status).toBe(200);
    expect((await get('ovd_never-issued-0')).status).toBe(401);
    expect((await b.connection.call('tasks.list')).tasks).toEqual([]);
  });

  it('rate-limits unknown tokens from one address, with Retry-After', async () => {
    let last = await get('ovd_never-issued-1');
    for (let attempt = 2; attempt < 8 && last.status !== 429; attempt += 1) {
      last = await get(`ovd_never-issued-${attempt}`);
    }
    expect(last.status).toBe(429);
    expect((last.body as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A stranger's handshake from the address waits too; a paired device's does not.
    const stranger = await rawConnect(limited, '/api/ws', await newIdentity(), { role: 'operator' });
    expect(stranger.answer).toMatchObject({ type: 'connect.refused', code: 'rate_limited' });
    expect(stranger.answer.retryAfterMs).toBeGreaterThan(0);
    expect((await get(b.token)).status).toBe(200);
    const again = await connectOperatorSocket(limited.gateway.url, {
      identity: b.identity,
      token: b.token,
      openSocket: openWsSocket,
    });
    expect(again.ok.deviceId).toBe(b.deviceId);
    await again.close();
  });

  it('refuses a stale token in the handshake without issuing anything', async () => {
    const before = await devicesNow(limited);
    const error = await connectOperatorSocket(limited.gateway.url, {
      identity: await newIdentity(),
      token: a.token,
      openSocket: openWsSocket,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HandshakeRefusedError);
    // The token is no key's; from an address already limited, the stranger is told to wait.
    expect(['unknown_device', 'rate_limited']).toContain((error as HandshakeRefusedError).code);
    expect(await devicesNow(limited)).toEqual(before);
  });
});

describe('the logs', () => {
  it('carry no token and no pairing code', () => {
    expect(logLines.some((line) => line.includes('handshake refused'))).toBe(true);
    for (const secret of secrets) {
      if (!secret) continue;
      const leaked = logLines.find((line) => line.includes(secret));
      expect(leaked, `a log line holds a secret: ${leaked}`).toBeUndefined();
    }
  });
});
