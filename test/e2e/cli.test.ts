import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, makeFixtureDir, toolThenText } from '../support/e2e-fixtures.ts';
import { spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// The `viber` command as a person or a script uses it: real processes, real gateway and daemon.

useE2eCleanup();

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function viber(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const home = env.OPENVIBER_HOME ?? makeTempDir('cli');
  const process = spawnViber(args, { name: `cli-${args[0]}`, env: { OPENVIBER_HOME: home, ...env } });
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderr };
}

const clientEnv = (gateway: GatewayHandle) => ({
  OPENVIBER_GATEWAY_URL: gateway.url,
  OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken,
});

describe('viber CLI against a running gateway', () => {
  it('registers a viber, runs a task to the end and lists, shows and streams it', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway();
    const env = clientEnv(gateway);

    const added = await viber(['vibers', 'add', 'laptop'], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/registered viber_\S+ \(laptop\)/);
    expect(added.stdout).toContain(`viber start --server ${gateway.wsUrl} --id viber_`);
    // It never suggests putting the token on a command line, where every local user can read it.
    expect(added.stdout).toContain('--token-file <file>');
    expect(added.stdout).not.toMatch(/--token ov/);

    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'cli-daemon' });
    const created = await viber(
      ['task', 'create', 'list', 'the', 'files', '--viber', daemon.viberId, '--follow'],
      env,
    );
    expect(created.stderr).toContain('list_directory');
    expect(created.stdout.trim()).toBe(FINAL_TEXT);
    expect(created.code).toBe(0);

    const listed = await viber(['task', 'list', '--json'], env);
    const tasks = JSON.parse(listed.stdout) as { id: string; status: string; goal: string }[];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: 'completed', goal: 'list the files' });

    const shown = await viber(['task', 'show', tasks[0]!.id], env);
    expect(shown.stdout).toContain('completed');
    expect(shown.stdout).toContain('task:completed');

    const report = await viber(['task', 'report', tasks[0]!.id, '--json'], env);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({
      taskId: tasks[0]!.id,
      status: 'completed',
      version: 1,
    });

    const logs = await viber(['task', 'logs', tasks[0]!.id], env);
    expect(logs.stdout.trim()).toBe(FINAL_TEXT);

    const status = await viber(['status', '--json'], env);
    const state = JSON.parse(status.stdout) as {
      gateway: { tasks: number };
      vibers: { presence: string }[];
      usageToday: { totalTokens: number };
      credentialIsolation: { ok: boolean; message: string };
    };
    expect(state.gateway.tasks).toBe(1);
    // bubblewrap is installed here (CI installs it): status says the credentials are hidden.
    expect(state.credentialIsolation).toEqual({ ok: true, message: expect.stringContaining('hidden') });
    expect(state.vibers.map((v) => v.presence)).toContain('online');
  });

  it('answers bad arguments and bad ids with one clear line and a non-zero exit', async () => {
    const gateway = await spawnGateway();
    const env = clientEnv(gateway);

    const badMode = await viber(['task', 'create', 'x', '--mode', 'yolo'], env);
    expect(badMode).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--mode: invalid value "yolo"'),
    });

    const unknown = await viber(['task', 'show', 'task_doesnotexist'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/gateway answered 404: .*\(not_found\)/);

    const noViber = await viber(['task', 'create', 'hello'], env);
    expect(noViber.code).toBe(1);
    expect(noViber.stderr).toContain('gateway answered');

    const noEnvironment = await viber(['task', 'create', 'hello', '--env', 'env_doesnotexist'], env);
    expect(noEnvironment.code).toBe(1);
    expect(noEnvironment.stderr).toMatch(/gateway answered 404: .*env_doesnotexist/);

    const noToken = await viber(['task', 'list'], { OPENVIBER_GATEWAY_URL: gateway.url });
    expect(noToken).toMatchObject({ code: 2, stderr: expect.stringContaining('no operator token') });

    const wrongToken = await viber(['task', 'list'], {
      ...env,
      OPENVIBER_OPERATOR_TOKEN: 'ovo_wrong-token-0000000000',
    });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('401');
    expect(wrongToken.stderr).not.toContain(gateway.operatorToken);

    const unreachable = await viber(['task', 'list'], {
      ...env,
      OPENVIBER_GATEWAY_URL: 'http://127.0.0.1:1',
    });
    expect(unreachable).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('cannot reach the gateway'),
    });

    const badPort = await viber(['gateway', '--port', '99999']);
    expect(badPort).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--port must be a whole number'),
    });

    const unknownCommand = await viber(['frobnicate']);
    expect(unknownCommand.code).not.toBe(0);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");
  });

  it('refuses a daemon with a wrong token and exits with the reason', async () => {
    const gateway = await spawnGateway();
    const viberRecord = await gateway.rest.registerViber('refused');
    const refused = await viber([
      'start',
      '--server',
      gateway.wsUrl,
      '--id',
      viberRecord.id,
      '--token',
      'ovv_not-the-right-token-000000000000',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the gateway refused this viber');

    const missing = await viber(['start', '--server', gateway.wsUrl]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('missing --id') });
  });
});

describe('viber up', () => {
  it('starts a gateway and a local daemon, prints how to use them, and keeps the viber across restarts', async () => {
    const home = makeTempDir('up');
    const start = async () => {
      const up = spawnViber(['up', '--port', '0'], { name: 'up', env: { OPENVIBER_HOME: home } });
      const [, url] =
        (await up.waitForLine(/gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, { timeoutMs: 30_000 })) ?? [];
      const [, token] = (await up.waitForLine(/operator token\s+(\S+)/)) ?? [];
      const [, viberId] = (await up.waitForLine(/local viber\s+(viber_\S+)/)) ?? [];
      return { up, url: url!, token: token!, viberId: viberId! };
    };

    const first = await start();
    const vibers = await fetch(`${first.url}/api/vibers`, {
      headers: { authorization: `Bearer ${first.token}` },
    });
    const { vibers: list } = (await vibers.json()) as { vibers: { id: string; presence: string }[] };
    expect(list).toEqual([expect.objectContaining({ id: first.viberId, presence: 'online' })]);
    expect((await first.up.kill('SIGTERM', 10_000)).code).toBe(0);

    const second = await start();
    expect(second.viberId).toBe(first.viberId);
    expect(second.token).toBe(first.token);
    await second.up.kill('SIGTERM', 10_000);
  });
});

describe('viber run', () => {
  it('runs one task in the terminal with no gateway', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const run = await viber(['run', 'what', 'is', 'here?', '--cwd', makeFixtureDir()], {
      OPENVIBER_MODEL: 'custom/test-model',
      OPENVIBER_BASE_URL: model.baseURL,
    });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(FINAL_TEXT);
    expect(run.stderr).toContain('list_directory');
    // No gateway, no child tasks (docs/delegation.md): the delegate tool is not offered.
    const offered = model.requests[0]?.body.tools?.map((tool) => tool.function.name) ?? [];
    expect(offered).toContain('list_directory');
    expect(offered).not.toContain('delegate');
  });

  it('says exactly what to set when no model is configured', async () => {
    const run = await viber(['run', 'hello']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No model configured. Set OPENVIBER_MODEL=');
  });
});
