import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BindingView, EnvironmentView } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { spawnViber } from '../support/processes.ts';
import { errorOf, type RestClient } from '../support/rest-client.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnDaemon, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 6, "Bad input": an unreachable repository, a setup script that fails or hangs, a variable
// name that is not an identifier, a binding to an offline viber, a master key missing or wrong.
// Each gives a clear status and message, and nothing half-prepared is reported ready.

useE2eCleanup();

async function createEnvironment(rest: RestClient, body: Record<string, unknown>): Promise<EnvironmentView> {
  const response = await rest.request<EnvironmentView>('POST', '/api/environments', {
    body: { type: 'manual', ...body },
  });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

async function settledBinding(
  rest: RestClient,
  environmentId: string,
  status: 'ready' | 'error',
): Promise<BindingView> {
  return waitFor(
    async () => {
      const { body } = await rest.request<EnvironmentView>('GET', `/api/environments/${environmentId}`);
      const binding = body.bindings[0];
      return binding?.status === status ? binding : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, description: `the binding of ${environmentId} to be ${status}` },
  );
}

/** Runs `viber <args>` against the gateway and waits for it to exit. */
async function cli(gateway: GatewayHandle, args: string[], env: Record<string, string> = {}) {
  const child = spawnViber([...args, '--gateway', gateway.url, '--token', gateway.operatorToken], {
    name: `cli-${args[1]}`,
    env,
  });
  const exit = await child.exited;
  return { code: exit.code, stdout: child.stdout, stderr: child.stderr };
}

async function stack() {
  const model = await startModelServer({ script: [] });
  const gateway = await spawnGateway();
  const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'bad-input' });
  return { model, gateway, daemon };
}

describe('environments with bad input', () => {
  it('an unreachable repository: the binding ends in error, no partial clone, no task', async () => {
    const { gateway, daemon } = await stack();
    await createEnvironment(gateway.rest, { name: 'gone', type: 'github', repoUrl: '/nonexistent/repo.git' });
    const mapped = await cli(gateway, ['env', 'map', 'gone', '--viber', daemon.viberId]);
    expect(mapped.code).toBe(1);
    expect(mapped.stderr).toMatch(/cloning \/nonexistent\/repo\.git/);
    expect(mapped.stderr).toMatch(
      /preparation failed: cannot clone \/nonexistent\/repo\.git: .*does not exist/,
    );
    expect(mapped.stdout).toMatch(/error/);
    const environments = join(daemon.home, 'workspace', 'environments');
    expect(existsSync(environments) ? readdirSync(environments) : []).toEqual([]);
    const task = await gateway.rest.request('POST', '/api/tasks', {
      body: { goal: 'x', options: { environmentId: 'gone' } },
    });
    expect(task.status).toBe(409);
    expect(errorOf(task)?.message).toMatch(/not ready on any viber yet \(viber_\S+: error\)/);
  });

  it('a failing setup script and a hanging one: error with the reason, the hanging one killed', async () => {
    const { gateway, daemon } = await stack();
    const scratch = makeTempDir('setup');
    const failing = await createEnvironment(gateway.rest, {
      name: 'failing',
      setupScript: 'echo half-done > partial.txt\necho "about to fail" >&2\nexit 3\n',
    });
    const hanging = await createEnvironment(gateway.rest, {
      name: 'hanging',
      setupTimeoutSeconds: 2,
      variables: { PIDFILE: join(scratch, 'pid') },
      setupScript: 'echo $$ > "$PIDFILE"\nsleep 600 &\necho $! >> "$PIDFILE"\nwait\n',
    });
    for (const environment of [failing, hanging]) {
      await gateway.rest.request('POST', `/api/environments/${environment.id}/bindings`, {
        body: { viberId: daemon.viberId },
      });
    }
    const failed = await settledBinding(gateway.rest, failing.id, 'error');
    expect(failed.lastError).toBe('the setup script failed (exit code 3)');
    const logs = await gateway.rest.request<{ lines: Array<{ stream: string; line: string }> }>(
      'GET',
      `/api/environments/${failing.id}/bindings/${failed.id}/logs`,
    );
    expect(logs.body.lines).toContainEqual(
      expect.objectContaining({ stream: 'stderr', line: 'about to fail' }),
    );

    const hung = await settledBinding(gateway.rest, hanging.id, 'error');
    expect(hung.lastError).toBe(
      'the setup script did not finish within 2 s; it and every process it started were killed',
    );
    const pids = readFileSync(join(scratch, 'pid'), 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    await waitFor(() => pids.every((pid) => !alive(pid)), {
      timeoutMs: 10_000,
      description: 'the setup processes to be gone',
    });

    // Nothing half-prepared counts as ready on the viber either.
    const states = join(daemon.home, 'daemon', 'environments');
    for (const binding of [failed, hung]) expect(existsSync(join(states, `${binding.id}.json`))).toBe(false);
  });

  it('a variable name that is not an identifier: refused by the CLI and the API', async () => {
    const { gateway } = await stack();
    const result = await cli(gateway, ['env', 'create', 'bad-vars', '--type', 'manual', '--var', '1BAD=x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--var 1BAD: invalid value/);
    const api = await gateway.rest.request('POST', '/api/environments', {
      body: { name: 'bad-vars', type: 'manual', variables: { 'MY-VAR': 'x' } },
    });
    expect(api.status).toBe(400);
    expect(errorOf(api)?.message).toMatch(/variables\.MY-VAR: "MY-VAR" is not a valid variable name/);
    const missingSecret = await cli(gateway, [
      'env',
      'create',
      'no-secret',
      '--type',
      'manual',
      '--secret',
      'NOT_EXPORTED_ANYWHERE',
    ]);
    expect(missingSecret.code).toBe(2);
    expect(missingSecret.stderr).toMatch(/export NOT_EXPORTED_ANYWHERE first/);
    expect(
      (await gateway.rest.request<{ environments: unknown[] }>('GET', '/api/environments')).body.environments,
    ).toEqual([]);
  });

  it('a binding to an offline viber stays pending and is prepared when the viber connects', async () => {
    const model = await startModelServer({ script: [] });
    const gateway = await spawnGateway();
    const viber = await gateway.rest.registerViber('later');
    const environment = await createEnvironment(gateway.rest, {
      name: 'later',
      setupScript: 'echo prepared',
    });
    const mapped = await cli(gateway, ['env', 'map', 'later', '--viber', viber.id, '--no-follow']);
    expect(mapped.code).toBe(0);
    expect(mapped.stdout).toMatch(/pending/);
    const shown = await cli(gateway, ['env', 'show', 'later']);
    expect(shown.stdout).toMatch(/pending/);

    await spawnDaemon({
      serverUrl: gateway.wsUrl,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
    });
    const ready = await settledBinding(gateway.rest, environment.id, 'ready');
    expect(ready.resolvedWorkingDir).toMatch(/environments/);
    const logs = await cli(gateway, ['env', 'logs', 'later']);
    expect(logs.stdout).toMatch(/stdout +prepared/);
  });

  it('a daemon killed while preparing: nothing is ready, and it prepares again when it comes back', async () => {
    const model = await startModelServer({ script: [] });
    const gateway = await spawnGateway();
    const scratch = makeTempDir('restart');
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'restarting' });
    const environment = await createEnvironment(gateway.rest, {
      name: 'slow',
      variables: { FLAG: join(scratch, 'started') },
      setupScript: 'if [ ! -e "$FLAG" ]; then touch "$FLAG"; sleep 600; fi\necho second run\n',
    });
    await gateway.rest.request('POST', `/api/environments/${environment.id}/bindings`, {
      body: { viberId: daemon.viberId },
    });
    await waitFor(() => existsSync(join(scratch, 'started')), {
      timeoutMs: 30_000,
      description: 'the setup to start',
    });
    await daemon.process.kill('SIGKILL');
    const { body } = await gateway.rest.request<EnvironmentView>(
      'GET',
      `/api/environments/${environment.id}`,
    );
    expect(body.bindings[0]?.status).toBe('preparing');

    await spawnDaemon({
      serverUrl: gateway.wsUrl,
      viberId: daemon.viberId,
      token: daemon.token,
      modelBaseURL: model.baseURL,
      home: daemon.home,
    });
    const ready = await settledBinding(gateway.rest, environment.id, 'ready');
    expect(ready.generation).toBe(1);
    const logs = await gateway.rest.request<{ lines: Array<{ line: string }> }>(
      'GET',
      `/api/environments/${environment.id}/bindings/${ready.id}/logs`,
    );
    const lines = logs.body.lines.map((line) => line.line);
    expect(lines).toContain('second run');
    expect(
      lines.some((line) => line.startsWith('stopping the setup script a previous daemon left running')),
    ).toBe(true);
  });

  it('a master key that goes missing or is wrong: secrets reported unreadable, prepare fails clearly', async () => {
    const { gateway, daemon } = await stack();
    const environment = await createEnvironment(gateway.rest, {
      name: 'keyed',
      secrets: { TOKEN: 'value-9876543210' },
    });
    await gateway.process.kill('SIGTERM');
    const wrongKey = Buffer.alloc(32, 9).toString('base64');
    const restarted = await spawnGateway({
      ...gateway.options,
      port: gateway.port,
      env: { OPENVIBER_MASTER_KEY: wrongKey },
      name: 'gateway-wrong-key',
    });
    expect(restarted.process.stderr).toMatch(/environment secrets were encrypted with another master key/);
    const { body } = await restarted.rest.request<EnvironmentView>(
      'GET',
      `/api/environments/${environment.id}`,
    );
    expect(body.secrets).toEqual([expect.objectContaining({ key: 'TOKEN', set: true, readable: false })]);
    expect(body.problems.join(' ')).toMatch(/TOKEN cannot be decrypted/);

    await daemon.waitForConnection(2);
    await restarted.rest.request('POST', `/api/environments/${environment.id}/bindings`, {
      body: { viberId: daemon.viberId },
    });
    const failed = await settledBinding(restarted.rest, environment.id, 'error');
    expect(failed.lastError).toMatch(
      /secrets TOKEN cannot be decrypted by the gateway \(its master key is missing or wrong\)/,
    );

    // Missing: no variable and the key file gone. The gateway starts and says so.
    await restarted.process.kill('SIGTERM');
    rmSync(join(gateway.home, 'gateway', 'master-key'));
    const keyless = await spawnGateway({ ...gateway.options, port: gateway.port, name: 'gateway-no-key' });
    expect(keyless.process.stderr).toMatch(/the master key is missing: 1 secrets are stored encrypted/);
    const put = await keyless.rest.request('PUT', `/api/environments/${environment.id}`, {
      body: { secrets: { OTHER: 'abcdefgh' } },
    });
    expect(put.status).toBe(409);
    expect(errorOf(put)?.message).toMatch(/cannot store secret OTHER: the master key is missing/);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
