import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptConnect, type ConnectAnswer } from '../../test/support/fake-gateway.ts';
import {
  type DaemonFixture,
  startFixture,
  TEST_TOKEN,
  TEST_VIBER_ID,
} from '../../test/support/in-process/daemon-fixture.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { ConnectPairing } from '../protocol/index.ts';
import { daemonCredentialsPath, daemonKeyPath } from './device-credentials.ts';
import type { GatewayRefusedError } from './viber-controller.ts';

// The daemon's side of the connect handshake against a scripted gateway: a token issued in
// connect.ok is saved before anything else and used from then on; pairing waits; refusals are
// fatal or retried by their code; a rotation reconnects to collect the new token.

let fixture: DaemonFixture | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
});

const ISSUED = 'ovd_issued-token-0001';

describe('daemon handshake', () => {
  it('signs with its own key file (0600) and keeps a token issued in connect.ok, saved at once', async () => {
    let answered = 0;
    fixture = await startFixture({}, (gateway) => {
      gateway.answerConnect = (request, connection) => {
        answered += 1;
        const [ok] = acceptConnect(request, connection);
        return answered === 1 ? [{ ...ok!, deviceToken: ISSUED } as never] : [ok!];
      };
    });
    await fixture.daemon.connected();
    const first = await fixture.gateway.connection(1);
    expect(first.connect?.token).toBe(TEST_TOKEN);
    expect(first.signatureValid).toBe(true);
    const key = JSON.parse(readFileSync(daemonKeyPath(fixture.home), 'utf8')) as { publicKey: string };
    expect(first.connect?.device.publicKey).toBe(key.publicKey);
    expect(statSync(daemonKeyPath(fixture.home)).mode & 0o777).toBe(0o600);

    // Saved before `connected` went out, with the server and viber id, mode 0600.
    expect(JSON.parse(readFileSync(daemonCredentialsPath(fixture.home), 'utf8'))).toEqual({
      server: fixture.gateway.url,
      viberId: TEST_VIBER_ID,
      token: ISSUED,
    });
    expect(statSync(daemonCredentialsPath(fixture.home)).mode & 0o777).toBe(0o600);
    expect(fixture.daemon.controller.token).toBe(ISSUED);

    // The next connection sends the new token.
    first.socket.terminate();
    const second = await fixture.gateway.connection(2);
    await second.waitFor('connected');
    expect(second.connect?.token).toBe(ISSUED);
    expect(second.connect?.device.id).toBe(first.connect?.device.id);
  });

  it('waits through connect.pairing, reporting the code, until the gateway accepts', async () => {
    let release: (() => void) | undefined;
    fixture = await startFixture({ token: undefined }, (gateway) => {
      gateway.answerConnect = (request, connection) => {
        const pairing: ConnectPairing = {
          type: 'connect.pairing',
          deviceId: request.device.id,
          code: 'ABCD-EFGH',
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
        };
        release = () => {
          const [ok] = acceptConnect(request, connection);
          connection.sendHandshake({ ...ok!, deviceToken: ISSUED } as never);
        };
        return [pairing];
      };
    });
    const pairings: ConnectPairing[] = [];
    fixture.daemon.controller.on('pairing', (pairing) => pairings.push(pairing));
    const connection = await fixture.gateway.connection(1);
    await waitFor(() => pairings.length === 1 || undefined, { description: 'the pairing event' });
    expect(pairings[0]).toMatchObject({ code: 'ABCD-EFGH' });
    expect(connection.connect?.token).toBeUndefined();
    expect(fixture.daemon.controller.state).toBe('handshaking');
    // Nothing but the handshake while waiting: no `connected`, no heartbeat.
    expect(connection.messages).toEqual([]);
    release!();
    await fixture.daemon.connected();
    await connection.waitFor('connected');
    expect(fixture.daemon.controller.token).toBe(ISSUED);
  });

  it.each([
    ['revoked', 'device d was revoked', 'unauthorized'],
    ['unknown_device', 'the token does not belong to this device key', 'unauthorized'],
    ['pairing_rejected', 'an operator rejected this device', 'unauthorized'],
    ['scope_denied', 'device d is paired as operator, not node', 'forbidden'],
  ] as const)('is fatal on a %s refusal, with its message and code', async (code, message, errorCode) => {
    fixture = await startFixture({}, (gateway) => {
      gateway.answerConnect = () => [{ type: 'connect.refused', code, message }];
    });
    const error = (await fixture.daemon
      .connected()
      .catch((caught: unknown) => caught)) as GatewayRefusedError;
    expect(error).toMatchObject({
      code: errorCode,
      refusal: code,
      message: `gateway refused the connection: ${message} (${code})`,
    });
    expect(fixture.daemon.controller.state).toBe('fatal');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fixture.gateway.connections).toHaveLength(1);
  });

  it('retries a lapsed pairing with the backoff, and a rate limit after the time it names', async () => {
    const refusals: ConnectAnswer[] = [
      () => [{ type: 'connect.refused', code: 'pairing_expired', message: 'nobody approved' }],
      () => [{ type: 'connect.refused', code: 'rate_limited', message: 'slow down', retryAfterMs: 300 }],
    ];
    const times: number[] = [];
    fixture = await startFixture({}, (gateway) => {
      gateway.answerConnect = (request, connection) => {
        times.push(Date.now());
        return (refusals.shift() ?? acceptConnect)(request, connection);
      };
    });
    await fixture.daemon.connected();
    expect(fixture.gateway.connections).toHaveLength(3);
    // The backoff of the fixture is 10-50 ms; the rate limit asked for 300 ms.
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(280);
  });

  it('refuses to run as another viber than the gateway says this device runs', async () => {
    fixture = await startFixture({}, (gateway) => {
      gateway.answerConnect = (request, connection) => {
        const [ok] = acceptConnect(request, connection);
        return [{ ...ok!, viberId: 'viber_someone-else' } as never];
      };
    });
    await expect(fixture.daemon.connected()).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining(`runs viber viber_someone-else on the gateway, not ${TEST_VIBER_ID}`),
    });
  });

  it('reconnects at once when its token was rotated, and collects the new one', async () => {
    let answered = 0;
    fixture = await startFixture({}, (gateway) => {
      gateway.answerConnect = (request, connection) => {
        answered += 1;
        const [ok] = acceptConnect(request, connection);
        return answered === 2 ? [{ ...ok!, deviceToken: ISSUED } as never] : [ok!];
      };
    });
    const first = await fixture.gateway.connection(1);
    await first.waitFor('connected');
    first.socket.close(4401, 'this device token was rotated: reconnect');
    const second = await fixture.gateway.connection(2);
    await second.waitFor('connected');
    expect(fixture.daemon.controller.state).toBe('open');
    expect(fixture.daemon.controller.token).toBe(ISSUED);
  });
});
