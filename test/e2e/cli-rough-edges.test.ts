import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, toolThenText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { cleanEnv, REPO_ROOT, spawnViber, VIBER_BIN } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 16, "CLI rough edges": each one as a person meets it, against a real gateway, daemon and
// scripted model. Every CLI process here is a real `viber`.

useE2eCleanup();

const clientEnv = (gateway: GatewayHandle) => ({
  OPENVIBER_HOME: makeTempDir('cli'),
  OPENVIBER_GATEWAY_URL: gateway.url,
  OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken,
});

async function viber(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawnViber(args, {
    name: `cli-${args.slice(0, 2).join('-')}`,
    env: { OPENVIBER_HOME: makeTempDir('cli'), ...env },
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
const strip = stripVTControlCharacters;

describe('approvals while following a task', () => {
  it('task create --follow on a terminal asks inline, as viber run does', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'tty' });
    const command = [
      process.execPath,
      VIBER_BIN,
      ...[
        'task',
        'create',
        'list',
        'the',
        'files',
        '--viber',
        daemon.viberId,
        '--mode',
        'always-ask',
        '--follow',
      ],
    ]
      .map(quote)
      .join(' ');
    // util-linux `script` gives the command a real terminal (a pty) on its stdin, stdout and stderr.
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: cleanEnv(clientEnv(gateway)),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    onCleanup(() => void terminal.kill('SIGKILL'));
    let screen = '';
    terminal.stdout.setEncoding('utf8').on('data', (text: string) => {
      screen += text;
    });
    const exited = new Promise<number | null>((resolve) => terminal.once('exit', (code) => resolve(code)));
    await waitFor(() => strip(screen).includes('approve? [y/N]'), { description: 'the approval question' });
    expect(strip(screen)).toMatch(/list_directory needs approval/);
    terminal.stdin.write('y\r');
    expect(await exited).toBe(0);
    expect(strip(screen)).toContain(FINAL_TEXT);
    const { tasks } = (await gateway.rest.request<{ tasks: { id: string }[] }>('GET', '/api/tasks')).body;
    await waitForTaskStatus(gateway.rest, tasks[0]!.id, 'completed');
  });

  it('without a terminal it says how to answer, and task list and show read "Needs approval"', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'pipe' });
    const env = clientEnv(gateway);
    const follow = spawnViber(
      [
        'task',
        'create',
        'list',
        'the',
        'files',
        '--viber',
        daemon.viberId,
        '--mode',
        'always-ask',
        '--follow',
      ],
      { name: 'follow', env },
    );
    const [, taskId, approvalId] = await waitFor(
      () => /answer with: viber task approve (\S+) (\S+)/.exec(follow.stderr),
      { description: 'how to answer the approval' },
    );
    expect(follow.stderr).toContain(`(or: viber task deny ${taskId} ${approvalId})`);

    // The board's words for a task waiting on a person (web/src/lib/tasks/StatusPill.svelte).
    const listed = await waitFor(
      async () => {
        const result = await viber(['task', 'list'], env);
        return result.stdout.includes('Needs approval') ? result : undefined;
      },
      { intervalMs: 200, description: 'task list to say Needs approval' },
    );
    expect(strip(listed.stdout)).toMatch(new RegExp(`^${taskId}  Needs approval  `));
    expect(strip((await viber(['task', 'show', taskId!], env)).stdout)).toContain(
      `${taskId}  Needs approval`,
    );
    // --json keeps the machine value.
    expect(JSON.parse((await viber(['task', 'list', '--json'], env)).stdout)[0].status).toBe('running');

    expect((await viber(['task', 'approve', taskId!, approvalId!], env)).code).toBe(0);
    expect((await follow.exited).code).toBe(0);
    expect(follow.stdout.trim()).toBe(FINAL_TEXT);
    expect(strip(follow.stderr).trim().split('\n').at(-1)).toBe('Completed');
  });
});

describe('errors are printed once', () => {
  it('an unreachable model, in viber run and in task create --follow', async () => {
    const run = await viber(['run', 'hello'], {
      OPENVIBER_MODEL: 'custom/test-model',
      OPENVIBER_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    expect(run.code).toBe(1);
    expect(run.stderr.match(/unreachable/g)).toHaveLength(1);

    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: 'http://127.0.0.1:9/v1', name: 'no-model' });
    const follow = await viber(
      ['task', 'create', 'hello', '--viber', daemon.viberId, '--follow'],
      clientEnv(gateway),
    );
    expect(follow.code).toBe(1);
    expect(follow.stderr.match(/unreachable/g)).toHaveLength(1);
    expect(strip(follow.stderr).trim().split('\n').at(-1)).toBe('Error');
  });

  it('no model configured, in task create --follow', async () => {
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: 'http://127.0.0.1:9/v1',
      name: 'unconfigured',
      env: { OPENVIBER_MODEL: undefined, OPENVIBER_BASE_URL: undefined },
    });
    const follow = await viber(
      ['task', 'create', 'hello', '--viber', daemon.viberId, '--follow'],
      clientEnv(gateway),
    );
    expect(follow.code).toBe(1);
    expect(follow.stderr.match(/No model configured/g)).toHaveLength(1);
  });
});

describe('bad option values say what would do', () => {
  it('lists the modes, and shows how a model is written', async () => {
    const mode = await viber(['task', 'create', 'x', '--mode', 'yolo']);
    expect(mode).toMatchObject({
      code: 2,
      stderr: 'viber: --mode: invalid value "yolo": use one of always-ask, agent-decides, always-execute\n',
    });
    const model = await viber(['run', 'x', '--model', 'gpt-4']);
    expect(model.code).toBe(2);
    expect(model.stderr).toBe(
      'viber: --model: invalid value "gpt-4": must be <provider>/<model> with provider openai, anthropic or custom (for example openai/gpt-4.1, anthropic/claude-sonnet-4-5 or custom/llama3.1)\n',
    );
  });
});

describe('against a gateway with vibers that never connected', () => {
  it('term, status, env map, vibers show and a reader that goes away', async () => {
    const gateway = await spawnGateway();
    const env = clientEnv(gateway);
    const sleepy = await gateway.rest.registerViber('sleepy');

    // A viber that does not exist is not "not connected".
    const nope = await viber(['term', 'list', 'nope'], env);
    expect(nope).toMatchObject({
      code: 1,
      stderr: 'viber: no such viber: nope (viber vibers list shows the registered ones)\n',
    });
    const offline = await viber(['term', 'list', sleepy.id], env);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain(`viber ${sleepy.id} is not connected`);

    // A readable view; --json for the record.
    const shown = await viber(['vibers', 'show', sleepy.id], env);
    expect(shown.code).toBe(0);
    expect(strip(shown.stdout)).toMatch(new RegExp(`^sleepy  ${sleepy.id}\n  presence +offline\n`));
    expect(shown.stdout).toContain('not reported yet');
    expect(JSON.parse((await viber(['vibers', 'show', sleepy.id, '--json'], env)).stdout)).toMatchObject({
      id: sleepy.id,
      name: 'sleepy',
      presence: 'offline',
    });

    // env map picks the only viber; with two it asks which.
    const created = await gateway.rest.request('POST', '/api/environments', {
      body: { type: 'manual', name: 'solo' },
    });
    expect(created.status, created.text).toBe(201);
    const mapped = await viber(['env', 'map', 'solo', '--no-follow', '--json'], env);
    expect(mapped.code, mapped.stderr).toBe(0);
    expect(JSON.parse(mapped.stdout)).toMatchObject({ viberId: sleepy.id });
    await gateway.rest.registerViber('second');
    const ambiguous = await viber(['env', 'map', 'solo', '--no-follow'], env);
    expect(ambiguous).toMatchObject({
      code: 2,
      stderr: 'viber: several vibers are registered: pass --viber <id> (viber vibers list shows them)\n',
    });

    // A wrong token: the local part still shows, the gateway part says it refused, exit 1.
    const status = await viber(['status', '--token', 'ovo_wrong-token-0000000000'], env);
    expect(status.code).toBe(1);
    expect(strip(status.stdout)).toMatch(/^home +/);
    expect(strip(status.stdout)).toContain('token refused: gateway answered 401');
    const statusJson = await viber(['status', '--json', '--token', 'ovo_wrong-token-0000000000'], env);
    expect(statusJson.code).toBe(1);
    expect(JSON.parse(statusJson.stdout).gateway.auth).toMatchObject({ ok: false });

    // The reader of --json output goes away before it is written: quiet, status 0.
    const child = spawn(process.execPath, [VIBER_BIN, 'vibers', 'list', '--json'], {
      cwd: REPO_ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onCleanup(() => void child.kill('SIGKILL'));
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', (exit) => resolve(exit)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
