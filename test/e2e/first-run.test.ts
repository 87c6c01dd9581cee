import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { type ManagedProcess, spawnViber, VIBER_BIN } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { spawnGateway } from '../support/viber-stack.ts';

// Issue 16, "first run and daily operation": `viber up` (what `npm start` runs) talks to a person
// (a banner, progress, warnings as one line) and keeps the machine logs in files under the home;
// its exit line says which tmux sessions live on. A port in use names the process that holds it.

useE2eCleanup();

const JSON_LINE = /^\{"level":/m;

async function startUp(home: string, args: string[] = []) {
  const up = spawnViber(['up', '--port', '0', ...args], { name: 'up', env: { OPENVIBER_HOME: home } });
  const [, url] = await up.waitForLine(/gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, { timeoutMs: 30_000 });
  const [, token] = await up.waitForLine(/operator token\s+(\S+)/);
  const [, viberId] = await up.waitForLine(/local viber\s+(viber_\S+)/);
  await up.waitForLine(/daemon .* connected to \S+ as viber_/);
  return { up, url: url!, token: token!, viberId: viberId! };
}

async function cli(home: string, url: string, token: string, args: string[]) {
  const child = spawnViber(args, {
    name: `cli-${args[0]}`,
    env: { OPENVIBER_HOME: home, OPENVIBER_GATEWAY_URL: url, OPENVIBER_OPERATOR_TOKEN: token },
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

function tmuxSocket(home: string): string {
  return join(home, 'daemon', 'tmux.sock');
}

async function stop(up: ManagedProcess, signal: NodeJS.Signals): Promise<void> {
  expect((await up.kill(signal, 15_000)).code).toBe(0);
}

describe('viber up, as a person starts it', () => {
  it('shows a banner and progress, keeps the JSON logs in files, and says which tmux sessions it leaves', async () => {
    const home = makeTempDir('first-run');
    onCleanup(() => {
      try {
        execFileSync('tmux', ['-S', tmuxSocket(home), 'kill-server'], { stdio: 'ignore' });
      } catch {
        // no server left: nothing to end
      }
    });
    const first = await startUp(home);
    expect(first.up.stdout).toMatch(/starting OpenViber in /);
    expect(first.up.stdout).toContain(`logs           ${join(home, 'logs')}`);
    // An operator opens a session of their own: it outlives the viber, and the exit line says so.
    const created = await cli(home, first.url, first.token, ['term', 'create', first.viberId, 'keepme']);
    expect(created.code, created.stderr).toBe(0);
    await stop(first.up, 'SIGINT');
    expect(first.up.stdout).toContain('Kept 1 tmux session(s): keepme.');
    expect(first.up.stdout).toContain(`tmux -S ${tmuxSocket(home)} kill-server`);
    // Nothing on the terminal is a machine log line; the files have them, the daemon's included.
    expect(first.up.stdout).not.toMatch(JSON_LINE);
    expect(first.up.stderr).not.toMatch(JSON_LINE);
    const gatewayLog = readFileSync(join(home, 'logs', 'gateway.log'), 'utf8');
    expect(gatewayLog).toMatch(/"msg":"gateway listening"/);
    expect(readFileSync(join(home, 'logs', 'daemon.log'), 'utf8')).toMatch(JSON_LINE);

    execFileSync('tmux', ['-S', tmuxSocket(home), 'kill-server']);
    const second = await startUp(home);
    expect(second.viberId).toBe(first.viberId);
    await stop(second.up, 'SIGTERM');
    expect(second.up.stdout).toContain('OpenViber stopped; no tmux sessions left behind.');
  });

  it('--json-logs puts every log line on the terminal as JSON and writes no log file', async () => {
    const home = makeTempDir('first-run-json');
    const { up } = await startUp(home, ['--json-logs']);
    expect(up.stderr).toMatch(/"msg":"gateway listening"/);
    expect(up.stdout).not.toContain('logs           ');
    await stop(up, 'SIGTERM');
    expect(() => readFileSync(join(home, 'logs', 'gateway.log'))).toThrow(/ENOENT/);
  });
});

describe('a gateway port in use', () => {
  it('names the process that holds it and how to choose another', async () => {
    const holder = await spawnGateway();
    const second = spawnViber(['gateway', '--host', '127.0.0.1', '--port', String(holder.port)], {
      name: 'gateway-second',
      env: { OPENVIBER_HOME: makeTempDir('second') },
    });
    expect((await second.exited).code).toBe(1);
    const lines = second.stderr.trim().split('\n');
    const last = lines.at(-1) ?? '';
    expect(last).toMatch(
      new RegExp(
        `^viber: cannot listen on 127\\.0\\.0\\.1:${holder.port}: the port is in use; process ${holder.process.pid} \\(`,
      ),
    );
    // The holder's command line (cut at 120 characters), then what to do.
    expect(last).toContain(`${process.execPath} ${VIBER_BIN} gateway`.slice(0, 100));
    expect(last).toMatch(
      /is listening on it\. Stop it, or choose another port with --port <n> \(--port 0 picks a free one\)$/,
    );
  });
});
