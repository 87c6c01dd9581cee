import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BindingLogsResponse, EnvironmentView, TaskView, ViberView } from '../../src/protocol/index.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, userText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { spawnViber } from '../support/processes.ts';
import type { RestClient } from '../support/rest-client.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor, withTimeout } from '../support/wait.ts';

// Issue 6, "How it must be shown": an environment created over the API, mapped to a running
// daemon, prepared (clone of a local bare repository plus a setup script that leaves a marker and
// reads a secret), tasks run inside it; a canary secret searched for everywhere and found
// nowhere; the network toggle keeping a command from reaching a port the test opened.

useE2eCleanup();

const CANARY = 'cnry-9f3e2d1c-TOP-SECRET-7a6b';
const REDACTED = '[redacted:API_TOKEN]';

/** A bare repository with one commit on main (README.md, app.txt): the environment's remote. */
function bareRepository(): string {
  const dir = makeTempDir('repo');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '--initial-branch=main', 'work');
  execFileSync('bash', ['-c', 'echo "# demo" > work/README.md && echo "app v1" > work/app.txt'], {
    cwd: dir,
  });
  git('-C', 'work', 'add', '.');
  git('-C', 'work', '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-m', 'first');
  git('clone', '--bare', 'work', 'remote.git');
  return join(dir, 'remote.git');
}

/** Every REST answer the test reads, kept to search for the canary afterwards. */
function recordingApi(rest: RestClient, seen: string[]) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await rest.request<T>(method, path, body === undefined ? {} : { body });
    seen.push(response.text);
    return { status: response.status, body: response.body };
  };
}

/** The model: runs the shell command named after `RUN:` in the goal, then reports the output. */
function commandRunner(): (request: { body: ChatRequestBody }) => ScriptTurn {
  return ({ body }) => {
    if (lastMessage(body)?.role === 'tool') return { type: 'text', text: 'Done: I ran the command.' };
    const command = userText(body).split('RUN:')[1]?.trim() ?? 'true';
    return { type: 'tool-calls', calls: [{ id: 'call_shell_1', name: 'shell', input: { command } }] };
  };
}

async function waitForBinding(api: ReturnType<typeof recordingApi>, environmentId: string, status: string) {
  return waitFor(
    async () => {
      const { body } = await api<EnvironmentView>('GET', `/api/environments/${environmentId}`);
      const binding = body.bindings[0];
      if (binding?.status === 'error' && status !== 'error')
        throw new Error(`prepare failed: ${binding.lastError}`);
      return binding?.status === status ? body : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, description: `environment ${environmentId} to be ${status}` },
  );
}

/** Runs a task in the environment, follows its stream, and returns the shell tool's output. */
async function runInEnvironment(
  gateway: GatewayHandle,
  api: ReturnType<typeof recordingApi>,
  seen: string[],
  environmentId: string,
  command: string,
) {
  const created = await api<TaskView>('POST', '/api/tasks', {
    goal: `Please RUN: ${command}`,
    options: { environmentId, mode: 'always-execute' },
  });
  expect(created.status).toBe(201);
  const reader = await gateway.follow(created.body.id);
  const message = await withTimeout(reader.finished, 60_000, 'the task stream to end');
  seen.push(JSON.stringify(reader.events));
  await waitForTaskStatus(gateway.rest, created.body.id, 'completed');
  const part = message?.parts.find((candidate) => candidate.type === 'tool-shell') as
    | { output?: { output?: string } }
    | undefined;
  return { task: created.body, output: part?.output?.output ?? '', message };
}

/** Every file under `root` whose bytes contain `needle`. */
function filesContaining(root: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const info = statSync(path, { throwIfNoEntry: false });
      if (info?.isDirectory()) walk(path);
      else if (info?.isFile() && readFileSync(path).includes(needle)) found.push(path);
    }
  };
  walk(root);
  return found;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

describe('a task inside a prepared environment', () => {
  it('clones, sets up with the secret, runs the task there, and the canary leaks nowhere', async () => {
    const seen: string[] = [];
    const model = await startModelServer({ script: commandRunner() });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'env-runner' });
    const api = recordingApi(gateway.rest, seen);
    const remote = bareRepository();

    const created = await api<EnvironmentView>('POST', '/api/environments', {
      name: 'demo-app',
      type: 'github',
      repoUrl: remote,
      repoBranch: 'main',
      setupScript: [
        'set -e',
        'echo "prepared from $(cat app.txt)" > .marker',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template.
        'test "$API_TOKEN" = "$EXPECTED_SHAPE" || echo "the secret arrived: ${#API_TOKEN} characters"',
        'echo "setup sees token $API_TOKEN"',
      ].join('\n'),
      variables: { GREETING: 'hello-from-env', EXPECTED_SHAPE: 'unused' },
      secrets: { API_TOKEN: CANARY },
    });
    expect(created.status).toBe(201);
    const environmentId = created.body.id;

    const mapped = await api<{ id: string; status: string }>(
      'POST',
      `/api/environments/${environmentId}/bindings`,
      {
        viberId: daemon.viberId,
      },
    );
    expect(mapped.status).toBe(202);
    const ready = await waitForBinding(api, environmentId, 'ready');
    expect(ready.status).toBe('ready');
    const workingDir = ready.bindings[0]!.resolvedWorkingDir!;
    expect(readFileSync(join(workingDir, '.marker'), 'utf8')).toBe('prepared from app v1\n');

    const logs = await api<BindingLogsResponse>(
      'GET',
      `/api/environments/${environmentId}/bindings/${mapped.body.id}/logs`,
    );
    const lines = logs.body.lines.map((line) => line.line);
    expect(lines).toContain(`setup sees token ${REDACTED}`);
    expect(lines).toContain(`the secret arrived: ${CANARY.length} characters`);
    expect(lines.some((line) => line.startsWith('cloning '))).toBe(true);
    expect(lines.at(-1)).toBe(`ready in ${workingDir}`);

    // The task runs in the binding's working directory with its variables and the secret in the
    // environment of its commands; the model and the stream see the secret redacted.
    const run = await runInEnvironment(
      gateway,
      api,
      seen,
      environmentId,
      'cat .marker; echo "$GREETING"; echo "token=$API_TOKEN"; pwd',
    );
    expect(run.task.viberId).toBe(daemon.viberId);
    expect(run.output).toContain('prepared from app v1');
    expect(run.output).toContain('hello-from-env');
    expect(run.output).toContain(`token=${REDACTED}`);
    expect(run.output).toContain(workingDir);
    const toolResult = model.requests.at(-1)?.body.messages.find((message) => message.role === 'tool');
    expect(JSON.stringify(toolResult)).toContain(REDACTED);

    // The task is listed under its environment.
    const inEnvironment = await api<{ tasks: TaskView[] }>(
      'GET',
      `/api/tasks?environmentId=${environmentId}`,
    );
    expect(inEnvironment.body.tasks.map((task) => task.id)).toEqual([run.task.id]);

    // config:push: the viber pulls its configuration and validates the environment's needs.
    expect((await api('POST', `/api/vibers/${daemon.viberId}/config-push`)).status).toBe(202);
    const validated = await waitFor(
      async () => {
        const { body } = await api<ViberView>('GET', `/api/vibers/${daemon.viberId}`);
        return body.configState?.validations.find((validation) => validation.category === 'env_secrets');
      },
      { timeoutMs: 30_000, description: 'config:ack with the environment validations' },
    );
    expect(validated).toMatchObject({
      status: 'verified',
      message: '1 environments: 1 secrets present, 1 repositories reachable',
    });

    // The canary: not in any API answer, SSE event, model request, process output or file.
    await api('GET', `/api/tasks/${run.task.id}`);
    await api('GET', '/api/environments');
    const everywhere = [
      ...seen,
      JSON.stringify(model.requests.map((request) => request.body)),
      gateway.process.stdout,
      gateway.process.stderr,
      daemon.process.stdout,
      daemon.process.stderr,
    ];
    expect(everywhere.filter((text) => text.includes(CANARY))).toEqual([]);
    await daemon.process.kill('SIGTERM');
    expect(filesContaining(daemon.home, CANARY)).toEqual([]);
    expect(filesContaining(gateway.home, CANARY)).toEqual([]);
  });

  it('network access off: a command cannot reach a port on 127.0.0.1; each task gets a fresh working directory', async () => {
    const model = await startModelServer({ script: commandRunner() });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'offline-runner' });
    const seen: string[] = [];
    const api = recordingApi(gateway.rest, seen);
    let connections = 0;
    const port = await listen(
      createServer((socket) => {
        connections += 1;
        // The probe's shell exits as soon as it connected, so the peer may reset the connection.
        socket.on('error', () => undefined);
        socket.end('hello\n');
      }),
    );
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && echo REACHED || echo BLOCKED`;

    const open = await api<EnvironmentView>('POST', '/api/environments', { name: 'open', type: 'manual' });
    const closed = await api<EnvironmentView>('POST', '/api/environments', {
      name: 'closed',
      type: 'manual',
      networkAccess: false,
      persistVolume: false,
      setupScript: 'echo baseline > baseline.txt',
    });
    for (const environment of [open.body, closed.body]) {
      await api('POST', `/api/environments/${environment.id}/bindings`, { viberId: daemon.viberId });
      await waitForBinding(api, environment.id, 'ready');
    }

    const reached = await runInEnvironment(gateway, api, seen, open.body.id, probe);
    expect(reached.output).toContain('REACHED');
    expect(connections).toBe(1);

    const blocked = await runInEnvironment(
      gateway,
      api,
      seen,
      closed.body.id,
      `${probe}; echo scratch > left.txt; ls`,
    );
    expect(blocked.output).toContain('BLOCKED');
    expect(blocked.output).toContain('baseline.txt');
    expect(connections).toBe(1);
    // Without network the web tools are not offered to the model.
    const offered = model.requests.at(-1)?.body.tools?.map((tool) => tool.function.name) ?? [];
    expect(offered).toContain('shell');
    expect(offered).not.toContain('web_fetch');

    const fresh = await runInEnvironment(
      gateway,
      api,
      seen,
      closed.body.id,
      'ls; test -e left.txt && echo KEPT || echo FRESH',
    );
    expect(fresh.output).toContain('FRESH');
    expect(fresh.output).toContain('baseline.txt');

    // The CLI shows the same environments.
    const cli = spawnViber(['env', 'list', '--gateway', gateway.url, '--token', gateway.operatorToken], {
      name: 'cli-env-list',
    });
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout).toMatch(/closed/);
    expect(cli.stdout).toMatch(/ready/);
  });
});
