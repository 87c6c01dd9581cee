import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { pairOperator } from '../../../test/support/in-process/device-clients.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { rawRequest } from '../../../test/support/rest-client.ts';

const CANARY = 'sk-canary-Zq7-model-key-4711';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A gateway whose every log line is kept (at debug level), to prove no key is in one. */
async function startGateway(): Promise<{ harness: TestGateway; logs: string[] }> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const harness = await TestGateway.start({ logger });
  cleanups.push(() => harness.cleanup());
  return { harness, logs };
}

describe('model settings over REST', () => {
  it('stores a key encrypted, answers only "set" and when, and pushes the change to connected vibers', async () => {
    const { harness, logs } = await startGateway();
    const initial = await harness.api('GET', '/api/settings/model');
    expect(initial.status).toBe(200);
    expect(initial.json).toEqual({
      provider: null,
      model: null,
      baseURL: null,
      mode: null,
      keys: {
        openai: { set: false, updatedAt: null, readable: true },
        anthropic: { set: false, updatedAt: null, readable: true },
        custom: { set: false, updatedAt: null, readable: true },
      },
      version: 0,
      updatedAt: null,
    });

    const viber = await harness.gateway.registerViber('settings-viber');
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    cleanups.push(() => daemon.close());
    const before = daemon.received.length;

    const updated = await harness.api('PUT', '/api/settings/model', {
      provider: 'custom',
      model: 'custom/llama-3.1',
      baseURL: 'http://127.0.0.1:11434/v1',
      mode: 'always-ask',
      apiKeys: { custom: CANARY },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      provider: 'custom',
      model: 'custom/llama-3.1',
      baseURL: 'http://127.0.0.1:11434/v1',
      mode: 'always-ask',
      keys: { custom: { set: true, readable: true }, openai: { set: false } },
      version: 1,
    });
    expect(Date.parse(updated.json.keys.custom.updatedAt)).toBeGreaterThan(0);
    // The connected viber is asked to pull.
    await daemon.waitFor((message) => message.type === 'config:push', { from: before });

    // A patch keeps what it does not name; the key is kept until deleted with null.
    const patched = await harness.api('PUT', '/api/settings/model', { model: 'custom/qwen' });
    expect(patched.json).toMatchObject({
      model: 'custom/qwen',
      mode: 'always-ask',
      keys: { custom: { set: true } },
      version: 2,
    });

    // The viber's own pull carries the key; no operator token, no other viber gets it.
    const other = await harness.gateway.registerViber('other');
    const pull = (token: string, id = viber.id, claimed = id) =>
      rawRequest<Record<string, unknown>>(`${harness.gateway.url}/api/vibers/${id}/model-settings`, 'GET', {
        token,
        headers: { 'x-viber-id': claimed },
      });
    const pulled = await pull(viber.token);
    expect(pulled.status).toBe(200);
    expect(pulled.body).toMatchObject({ model: 'custom/qwen', apiKeys: { custom: CANARY }, version: 2 });
    expect((await pull(harness.gateway.operatorToken)).status).toBe(403);
    expect((await pull(other.token, viber.id, other.id)).status).toBe(403);

    const viewed = await harness.api('GET', '/api/settings/model');
    const deleted = await harness.api('PUT', '/api/settings/model', { apiKeys: { custom: null } });
    expect(deleted.json.keys.custom).toEqual({ set: false, updatedAt: null, readable: true });
    // Never in an operator's answer, a log line or the database file.
    for (const response of [initial, updated, patched, viewed, deleted])
      expect(JSON.stringify(response.json)).not.toContain(CANARY);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(CANARY);
    expect(logs.join('\n')).toContain('model settings updated');
    const db = join(harness.home.gateway, 'openviber.db');
    for (const file of [db, `${db}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(CANARY)).toBe(false);
    }
  });

  it('refuses bad input with precise errors and changes nothing', async () => {
    const { harness, logs } = await startGateway();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ baseURL: 'not a url' }, /^baseURL: must be an http:\/\/ or https:\/\/ URL/],
      [{ baseURL: 'ftp://host/v1' }, /^baseURL: must be an http:\/\/ or https:\/\/ URL/],
      [{ baseURL: 'https://user:pw@host/v1' }, /without a user name or password/],
      [{ provider: 'ollama' }, /^provider: Invalid option: expected one of "openai"\|"anthropic"\|"custom"/],
      [{ model: 'gpt-4.1' }, /^model: must be <provider>\/<model> with provider openai, anthropic or custom/],
      [{ model: 'ollama/llama' }, /^model: must be <provider>\/<model>/],
      [{ mode: 'yolo' }, /^mode: Invalid option/],
      [
        { provider: 'openai', model: 'anthropic/claude-x' },
        /^model: "anthropic\/claude-x" is not a model of provider openai; use openai\/<model>/,
      ],
      [{ provider: 'custom', model: 'custom/x' }, /^baseURL: the custom provider needs the base URL/],
      [{ apiKeys: { mistral: CANARY } }, /^apiKeys: Unrecognized key: "mistral"/],
      [{ apiKeys: { openai: 'short' } }, /^apiKeys\.openai: must be at least 8 characters/],
      [{ apiKeys: { openai: `${CANARY} ` } }, /^apiKeys\.openai: must not contain white space/],
      [{ surprise: 1 }, /Unrecognized key: "surprise"/],
    ];
    for (const [body, message] of cases) {
      const answer = await harness.api('PUT', '/api/settings/model', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error.code).toBe('validation_failed');
      expect(answer.json.error.message, JSON.stringify(body)).toMatch(message);
      expect(JSON.stringify(answer.json)).not.toContain(CANARY);
    }
    expect((await harness.api('GET', '/api/settings/model')).json.version).toBe(0);
    expect(logs.join('\n')).not.toContain(CANARY);
  });

  it('lets tasks.read read, vibers.admin write, and only secrets.write set a key', async () => {
    const { harness } = await startGateway();
    const reader = await pairOperator(harness, ['tasks.read']);
    const admin = await pairOperator(harness, ['vibers.admin']);
    const call = (token: string, method: string, body?: unknown) =>
      rawRequest<{ error?: { code: string; message: string } }>(
        `${harness.gateway.url}/api/settings/model`,
        method,
        {
          token,
          ...(body ? { body } : {}),
        },
      );
    expect((await call(reader.token, 'GET')).status).toBe(200);
    const refused = await call(reader.token, 'PUT', { model: 'openai/gpt-4.1' });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toContain('vibers.admin');
    expect((await call(admin.token, 'PUT', { model: 'openai/gpt-4.1' })).status).toBe(200);
    const keyRefused = await call(admin.token, 'PUT', { apiKeys: { openai: CANARY } });
    expect(keyRefused.status).toBe(403);
    expect(keyRefused.body.error?.message).toContain('secrets.write');
    expect(JSON.stringify(keyRefused.body)).not.toContain(CANARY);
    expect((await harness.api('GET', '/api/settings/model')).json.keys.openai.set).toBe(false);
  });
});
