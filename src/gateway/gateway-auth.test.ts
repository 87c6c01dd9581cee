import { statSync } from 'node:fs';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../test/support/fake-daemon.ts';
import { tempHome } from '../../test/support/in-process/temp-home.ts';
import { TestGateway } from '../../test/support/in-process/test-gateway.ts';
import { removeTempDir } from '../../test/support/temp-dirs.ts';
import { WS_CLOSE } from '../protocol/index.ts';
import { operatorTokenPath } from './auth/operator-token.ts';
import { startGateway } from './start-gateway.ts';

describe('gateway auth', () => {
  let harness: TestGateway;
  beforeEach(async () => {
    harness = await TestGateway.start();
  });
  afterEach(async () => {
    await harness.cleanup();
  });

  it('serves /health without a token and nothing else', async () => {
    const health = await fetch(`${harness.gateway.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', vibers: 0, tasks: 0, version: expect.any(String) });

    const none = await fetch(`${harness.gateway.url}/api/tasks`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { code: 'unauthorized', message: 'missing Authorization: Bearer <device or operator token>' },
    });
    const wrong = await fetch(`${harness.gateway.url}/api/vibers`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toEqual({ code: 'unauthorized', message: 'invalid token' });
    // A viber token is not an operator token.
    const viber = await harness.gateway.registerViber('a');
    const asViber = await fetch(`${harness.gateway.url}/api/tasks`, {
      headers: { authorization: `Bearer ${viber.token}` },
    });
    expect(asViber.status).toBe(403);
  });

  it('closes a daemon socket with 4401 for a missing or wrong token', async () => {
    const viber = await harness.gateway.registerViber('a');
    const missing = new FakeDaemon(harness.gateway.wsUrl, { viberId: viber.id, token: '' });
    expect(await missing.closed).toEqual({
      code: WS_CLOSE.unauthorized,
      reason: 'missing Authorization: Bearer <viber token>',
    });
    const wrong = new FakeDaemon(harness.gateway.wsUrl, { viberId: viber.id, token: 'ovv_wrong' });
    expect(await wrong.closed).toEqual({ code: WS_CLOSE.unauthorized, reason: 'invalid token' });
  });

  it("closes with 4403 when a token is used for another viber's id", async () => {
    const a = await harness.gateway.registerViber('a');
    const b = await harness.gateway.registerViber('b');
    const spoof = new FakeDaemon(harness.gateway.wsUrl, { viberId: a.id, token: a.token, claimedId: b.id });
    expect(await spoof.closed).toEqual({
      code: WS_CLOSE.forbidden,
      reason: `token does not belong to viber ${b.id}`,
    });
  });

  it('revoking a viber cuts its connection and refuses its token', async () => {
    const viber = await harness.gateway.registerViber('a');
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const revoked = await harness.api('DELETE', `/api/vibers/${viber.id}`);
    expect(revoked.status).toBe(200);
    expect((await daemon.closed).code).toBe(WS_CLOSE.unauthorized);
    const again = new FakeDaemon(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    expect(await again.closed).toEqual({
      code: WS_CLOSE.unauthorized,
      reason: `viber ${viber.id} was revoked`,
    });
    expect((await harness.api('GET', `/api/vibers/${viber.id}`)).status).toBe(404);
    expect((await harness.api('DELETE', `/api/vibers/${viber.id}`)).json.error.code).toBe('conflict');
  });

  it('a newer connection of the same viber replaces the older one', async () => {
    const viber = await harness.gateway.registerViber('a');
    const first = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    const second = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    expect((await first.closed).code).toBe(WS_CLOSE.replaced);
    const view = await harness.api('GET', `/api/vibers/${viber.id}`);
    expect(view.json.presence).toBe('online');
    await second.close();
  });

  it('rejects upgrades on other paths', async () => {
    const viber = await harness.gateway.registerViber('a');
    const other = new FakeDaemon(harness.gateway.wsUrl.replace('/ws', '/other'), {
      viberId: viber.id,
      token: viber.token,
    });
    expect(await other.opened).toBe(false);
  });
});

describe('operator token', () => {
  it('is generated once, stored with mode 0600, and reused', async () => {
    const home = tempHome('token');
    const logger = pino({ level: 'silent' });
    try {
      const first = await startGateway({ home, logger });
      expect(first.operatorTokenGenerated).toBe(true);
      expect(first.operatorToken).toMatch(/^ovo_/);
      expect(statSync(operatorTokenPath(home)).mode & 0o777).toBe(0o600);
      await first.close();
      const second = await startGateway({ home, logger });
      expect(second.operatorTokenGenerated).toBe(false);
      expect(second.operatorToken).toBe(first.operatorToken);
      await second.close();
      await expect(startGateway({ home, logger, operatorToken: 'short' })).rejects.toThrow(
        /at least 16 characters/,
      );
    } finally {
      removeTempDir(home.root);
    }
  });
});
