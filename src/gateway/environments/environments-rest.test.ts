import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { masterKeyPath } from './master-key.ts';

const CANARY = 'canary-Zq7-secret-value-4711';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startGateway(): Promise<TestGateway> {
  const harness = await TestGateway.start();
  cleanups.push(() => harness.cleanup());
  return harness;
}

/** A bare repository with one commit on main, as a remote. */
function bareRepo(): string {
  const dir = makeTempDir('repo');
  cleanups.push(() => removeTempDir(dir));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '--initial-branch=main', 'work');
  git('-C', 'work', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--allow-empty', '-m', 'first');
  git('clone', '--bare', 'work', 'remote.git');
  return join(dir, 'remote.git');
}

const validBody = (extra: Record<string, unknown> = {}) => ({
  name: 'web-app',
  type: 'github',
  repoUrl: '/srv/repos/web-app.git',
  setupScript: 'echo ready > .marker\n',
  variables: { NODE_ENV: 'test' },
  secrets: { API_TOKEN: CANARY },
  ...extra,
});

describe('environments over REST', () => {
  it('creates an environment, encrypts its secret and never returns the value', async () => {
    const harness = await startGateway();
    const created = await harness.api('POST', '/api/environments', validBody());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'web-app',
      type: 'github',
      repoOrg: 'repos',
      repoName: 'web-app',
      status: 'unmapped',
      variables: [{ key: 'NODE_ENV', value: 'test' }],
      secrets: [{ key: 'API_TOKEN', set: true, readable: true }],
      problems: [],
    });
    const listed = await harness.api('GET', '/api/environments');
    const byName = await harness.api('GET', '/api/environments/web-app');
    expect(byName.json.id).toBe(created.json.id);
    for (const response of [created, listed, byName])
      expect(JSON.stringify(response.json)).not.toContain(CANARY);
    // At rest: neither the database nor its write-ahead log holds the value.
    const db = join(harness.home.gateway, 'openviber.db');
    for (const file of [db, `${db}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(CANARY)).toBe(false);
    }
    expect(statSync(masterKeyPath(harness.home)).mode & 0o777).toBe(0o600);
  });

  it('refuses bad input with precise errors and stores nothing', async () => {
    const harness = await startGateway();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [validBody({ variables: { '1BAD': 'x' } }), /variables\.1BAD: "1BAD" is not a valid variable name/],
      [validBody({ secrets: { 'BAD-NAME': 'abcdef' } }), /secrets\.BAD-NAME/],
      [validBody({ secrets: { SHORT: 'ab' } }), /secrets\.SHORT: must be at least 4 characters/],
      [validBody({ setupScript: 'if true; then echo x\n' }), /setupScript has a syntax error/],
      [validBody({ repoUrl: '--upload-pack=evil' }), /repoUrl: must be a git URL/],
      [validBody({ repoUrl: undefined }), /repoUrl: required for a github/],
      [validBody({ variables: { API_TOKEN: 'x' } }), /variables\.API_TOKEN: also defined as a secret/],
      [validBody({ type: 'local' }), /localPath: required for a local environment/],
      [validBody({ workingDir: '../outside' }), /workingDir: must be a path relative/],
    ];
    for (const [body, message] of cases) {
      const response = await harness.api('POST', '/api/environments', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json.error.code).toBe('validation_failed');
      expect(response.json.error.message).toMatch(message);
    }
    expect((await harness.api('GET', '/api/environments')).json.environments).toEqual([]);
    expect((await harness.api('POST', '/api/environments', '{nope')).json.error.code).toBe('invalid_json');
    await harness.api('POST', '/api/environments', validBody());
    const duplicate = await harness.api('POST', '/api/environments', validBody());
    expect(duplicate.status).toBe(409);
    expect((await harness.api('GET', '/api/environments/env_missing-1')).status).toBe(404);
  });

  it('updates: variables replace, secrets patch, a bad update changes nothing', async () => {
    const harness = await startGateway();
    const { json: env } = await harness.api('POST', '/api/environments', validBody());
    const bad = await harness.api('PUT', `/api/environments/${env.id}`, { setupScript: 'fi' });
    expect(bad.status).toBe(400);
    const updated = await harness.api('PUT', `/api/environments/${env.id}`, {
      variables: { A: '1' },
      secrets: { API_TOKEN: null, OTHER_TOKEN: 'another-secret' },
      networkAccess: false,
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      version: 2,
      networkAccess: false,
      variables: [{ key: 'A', value: '1' }],
      secrets: [{ key: 'OTHER_TOKEN', set: true }],
    });
    expect(JSON.stringify(updated.json)).not.toContain('another-secret');
    expect((await harness.api('PUT', `/api/environments/${env.id}`, { surprise: 1 })).status).toBe(400);
    expect((await harness.api('DELETE', `/api/environments/${env.id}`)).status).toBe(200);
    expect((await harness.api('GET', `/api/environments/${env.id}`)).status).toBe(404);
  });

  it('maps to a viber: pending while offline, prepare delivered on connect, config pull with the viber token only', async () => {
    const harness = await startGateway();
    const { json: env } = await harness.api('POST', '/api/environments', validBody());
    const viber = await harness.gateway.registerViber('builder');
    const other = await harness.gateway.registerViber('other');
    expect(
      (await harness.api('POST', `/api/environments/${env.id}/bindings`, { viberId: 'viber_nope-1' })).status,
    ).toBe(404);
    const mapped = await harness.api('POST', `/api/environments/${env.id}/bindings`, { viberId: viber.id });
    expect(mapped.status).toBe(202);
    expect(mapped.json).toMatchObject({
      status: 'pending',
      strategy: 'clone',
      generation: 1,
      viberId: viber.id,
    });
    // The command outbox holds no secret.
    const db = join(harness.home.gateway, 'openviber.db');
    for (const file of [db, `${db}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(CANARY)).toBe(false);
    }

    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    cleanups.push(() => daemon.close());
    const prepare = await daemon.waitFor((message) => message.type === 'environment:prepare');
    expect(prepare).toMatchObject({ bindingId: mapped.json.id, environmentId: env.id, generation: 1 });
    expect(JSON.stringify(prepare)).not.toContain(CANARY);

    const pull = (token: string, id = viber.id, claimed = id) =>
      fetch(`${harness.gateway.url}/api/vibers/${id}/config`, {
        headers: { authorization: `Bearer ${token}`, 'x-viber-id': claimed },
      });
    const config = await pull(viber.token);
    expect(config.status).toBe(200);
    const body = await config.json();
    expect(body.bindings[0].environment.secrets).toEqual({ API_TOKEN: CANARY });
    expect((await pull(harness.gateway.operatorToken)).status).toBe(403);
    expect((await pull(other.token, viber.id, other.id)).status).toBe(403);
    const otherConfig = await (await pull(other.token, other.id)).json();
    expect(JSON.stringify(otherConfig)).not.toContain(CANARY);

    // The viber's reports: preparing, a log line (redacted again by the gateway), ready.
    daemon.send({
      type: 'environment:status',
      bindingId: mapped.json.id,
      generation: 1,
      status: 'preparing',
    });
    daemon.send({
      type: 'environment:log',
      bindingId: mapped.json.id,
      generation: 1,
      stream: 'stdout',
      line: `token=${CANARY}`,
    });
    daemon.send({
      type: 'environment:status',
      bindingId: mapped.json.id,
      generation: 1,
      status: 'ready',
      resolvedWorkingDir: '/w',
    });
    let view: { status: string } = { status: '' };
    for (let i = 0; i < 200 && view.status !== 'ready'; i++) {
      view = (await harness.api('GET', `/api/environments/${env.id}`)).json;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(view.status).toBe('ready');
    const logs = await harness.api('GET', `/api/environments/${env.id}/bindings/${mapped.json.id}/logs`);
    expect(logs.json.lines.map((line: { line: string }) => line.line)).toEqual([
      'token=[redacted:API_TOKEN]',
    ]);
    // A report about an older generation changes nothing; a stranger's report is refused.
    daemon.send({
      type: 'environment:status',
      bindingId: mapped.json.id,
      generation: 0 as never,
      status: 'error',
    });
    const task = await harness.api('POST', '/api/tasks', {
      goal: 'hi',
      options: { environmentId: 'web-app' },
    });
    expect(task.status).toBe(201);
    expect(task.json).toMatchObject({ viberId: viber.id, options: { environmentId: env.id } });
    const inEnv = await harness.api('GET', `/api/tasks?environmentId=${env.id}`);
    expect(inEnv.json.tasks.map((t: { id: string }) => t.id)).toEqual([task.json.id]);
  });

  it('refuses a task in an environment that is not ready, naming the state', async () => {
    const harness = await startGateway();
    const { json: env } = await harness.api('POST', '/api/environments', validBody());
    const unmapped = await harness.api('POST', '/api/tasks', {
      goal: 'x',
      options: { environmentId: env.id },
    });
    expect(unmapped.status).toBe(409);
    expect(unmapped.json.error.message).toMatch(/not mapped to any viber/);
    const viber = await harness.gateway.registerViber('offline');
    await harness.api('POST', `/api/environments/${env.id}/bindings`, { viberId: viber.id });
    const pending = await harness.api('POST', '/api/tasks', {
      goal: 'x',
      options: { environmentId: env.id },
    });
    expect(pending.status).toBe(409);
    expect(pending.json.error.message).toMatch(/not ready on any viber yet \(viber_.*: pending\)/);
  });

  it('dry-run validation: syntax and repository reachability', async () => {
    const harness = await startGateway();
    const ok = await harness.api(
      'POST',
      '/api/environments/validate',
      validBody({ repoUrl: bareRepo(), repoBranch: 'main' }),
    );
    expect(ok.json).toMatchObject({ ok: true });
    expect(ok.json.checks[2]).toMatchObject({ name: 'repository', status: 'ok' });
    const noBranch = await harness.api(
      'POST',
      '/api/environments/validate',
      validBody({ repoUrl: bareRepo(), repoBranch: 'dev' }),
    );
    expect(noBranch.json.checks[2].message).toMatch(/reachable but has no branch dev/);
    const missing = await harness.api(
      'POST',
      '/api/environments/validate',
      validBody({ repoUrl: '/nonexistent/repo.git' }),
    );
    expect(missing.json).toMatchObject({ ok: false });
    expect(missing.json.checks[2].message).toMatch(/not reachable from the gateway/);
    const syntax = await harness.api(
      'POST',
      '/api/environments/validate',
      validBody({ setupScript: 'case x in' }),
    );
    expect(syntax.json.checks[1]).toMatchObject({ name: 'script_syntax', status: 'failed' });
  });
});

describe('the master key', () => {
  it('reports secrets it cannot decrypt after the key changed or went missing; the gateway still starts', async () => {
    const harness = await startGateway();
    const { json: env } = await harness.api('POST', '/api/environments', validBody());
    const keyFile = masterKeyPath(harness.home);
    const saved = readFileSync(keyFile);

    // Missing: no file, no variable, but secrets stored.
    await harness.gateway.close();
    rmSync(keyFile);
    await harness.restart();
    const missing = (await harness.api('GET', `/api/environments/${env.id}`)).json;
    expect(missing.secrets[0]).toMatchObject({ key: 'API_TOKEN', readable: false });
    expect(missing.problems[0]).toMatch(/cannot be decrypted: the master key is missing/);
    const write = await harness.api('PUT', `/api/environments/${env.id}`, {
      secrets: { NEW_ONE: 'value-1234' },
    });
    expect(write.status).toBe(409);
    expect(write.json.error.message).toMatch(/master key is missing/);
    expect(existsSync(keyFile)).toBe(false);

    // Wrong: another valid key given by the variable.
    await harness.gateway.close();
    process.env.OPENVIBER_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
    try {
      await harness.restart();
      const wrong = (await harness.api('GET', `/api/environments/${env.id}`)).json;
      expect(wrong.secrets[0].readable).toBe(false);
      expect(wrong.problems[0]).toMatch(/encrypted with another master key/);
      await harness.gateway.close();
      process.env.OPENVIBER_MASTER_KEY = 'not-a-key';
      await harness.restart();
      const invalid = (await harness.api('GET', `/api/environments/${env.id}`)).json;
      expect(invalid.problems[0]).toMatch(/OPENVIBER_MASTER_KEY must hold a base64-encoded 32-byte key/);
    } finally {
      delete process.env.OPENVIBER_MASTER_KEY;
    }

    // Restored: readable again.
    await harness.gateway.close();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(keyFile, saved, { mode: 0o600 });
    await harness.restart();
    expect((await harness.api('GET', `/api/environments/${env.id}`)).json.secrets[0].readable).toBe(true);
  });
});
