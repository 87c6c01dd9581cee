import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';

// Issue 16, "a clean first run", as README.md's set-up says it: a fresh clone, `npm install` on
// the system's Node (not the Node 24 the tests run on), then `npm start`. npm prints no engine
// warning, and neither step leaves the clone changed (package-lock.json included), so `npm ci`
// works and `git status` stays clean. The install runs from npm's cache (`--offline`): tests need
// no network, and the cache holds every package once this checkout was installed.

useE2eCleanup();

/** PATH without any node_modules/.bin, so `npm` and `node` are the system's, as for a new user. */
function systemPath(): string {
  return (process.env.PATH ?? '')
    .split(':')
    .filter((entry) => !entry.includes('node_modules'))
    .join(':');
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('a fresh clone, set up as README.md says', { timeout: 600_000 }, () => {
  it('installs without an engine warning and stays clean through npm install and npm start', async () => {
    const clone = join(makeTempDir('fresh-clone'), 'openviber');
    execFileSync('git', ['clone', '--quiet', REPO_ROOT, clone]);
    // Only the system's npm and node, and none of this process's npm_* settings.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
    );
    env.PATH = systemPath();
    const systemNode = run('node', ['--version'], clone, env).trim();

    const install = spawn('npm', ['install', '--offline', '--no-audit', '--no-fund'], {
      cwd: clone,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    install.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    install.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => install.once('exit', resolve));
    expect(code, output).toBe(0);
    expect(output, `npm install on ${systemNode}`).not.toMatch(/EBADENGINE|Unsupported engine|npm warn/i);
    expect(run('git', ['status', '--porcelain'], clone, env)).toBe('');

    // `npm start` builds the board and runs the gateway and the local viber on the system's npm.
    const home = makeTempDir('fresh-clone-home');
    const start = spawn('npm', ['start', '--', '--port', '0'], {
      cwd: clone,
      env: { ...env, OPENVIBER_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    onCleanup(() => {
      try {
        process.kill(-(start.pid ?? 0), 'SIGKILL');
      } catch {}
    });
    let started = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${started}`)), 300_000);
      const onData = (chunk: Buffer) => {
        started += chunk.toString('utf8');
        if (/daemon .* connected to \S+ as viber_/.test(started)) {
          clearTimeout(timer);
          resolve();
        }
      };
      start.stdout.on('data', onData);
      start.stderr.on('data', onData);
    });
    await ready;
    expect(started).toMatch(/gateway ready at http:\/\/127\.0\.0\.1:\d+/);
    expect(started).not.toMatch(/^\{"level":/m);
    // No model yet: the banner says where to choose one.
    expect(started).toContain(
      "none here yet: run `npm run viber -- onboard`, or pick one on the board's Settings page",
    );
    process.kill(-(start.pid ?? 0), 'SIGINT');
    await new Promise<void>((resolve) => start.once('exit', () => resolve()));
    expect(run('git', ['status', '--porcelain'], clone, env)).toBe('');
  });
});
