import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { startLocalHttpServer } from '../support/local-http-server.ts';
import { REPO_ROOT, spawnNode, spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { spawnGateway } from '../support/viber-stack.ts';

/** The gateway reports OpenViber's version on /health. */
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

// `viber doctor` on a real home, against a real gateway and a scripted model server.

useE2eCleanup();

/** One check as `viber doctor --json` prints it. */
interface CheckResult {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint?: string;
  fixed?: string[];
}

interface Report {
  ok: boolean;
  checks: CheckResult[];
}

async function doctor(home: string, args: string[], env: Record<string, string> = {}) {
  const process = spawnViber(['doctor', ...args], { name: 'doctor', env: { OPENVIBER_HOME: home, ...env } });
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderr };
}

async function doctorJson(home: string, args: string[], env: Record<string, string>) {
  const result = await doctor(home, ['--json', ...args], env);
  const report = JSON.parse(result.stdout) as Report;
  const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
  return { code: result.code, report, byName };
}

/** A port nothing listens on: one the system gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('viber doctor', () => {
  it('diagnoses a broken home, --fix repairs what is safe, and the rest stays reported', async () => {
    const home = makeTempDir('doctor');
    for (const folder of ['config', 'workspace', 'agents', 'gateway', 'daemon'])
      mkdirSync(join(home, folder));
    chmodSync(home, 0o755); // open to others, as an old version left it; memory/ is missing
    writeFileSync(join(home, 'config', 'config.json'), '{ "agnet": { "mode": "always-ask" } }\n');
    const pid = deadPid();
    writeFileSync(join(home, 'gateway', 'gateway.pid'), `${pid}\n`);
    writeFileSync(join(home, 'config', `config.json.${pid}.tmp`), '{}');
    // A socket whose process was killed: the file stays, nothing answers on it.
    const socketPath = join(home, 'daemon', 'tmux.sock');
    const holder = spawnNode(
      [
        '-e',
        `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('listening'))`,
      ],
      { name: 'socket-holder' },
    );
    await holder.waitForLine(/^listening$/);
    await holder.kill('SIGKILL');
    const env = { OPENVIBER_GATEWAY_URL: `http://127.0.0.1:${await closedPort()}` };

    const first = await doctorJson(home, [], env);
    expect(first.code).toBe(1);
    expect(first.report.ok).toBe(false);
    expect(first.byName['home folders']).toMatchObject({ status: 'warn', detail: 'missing: memory' });
    // Made with the test's umask (022): every folder and file is open, not only the root.
    expect(first.byName['home permissions']?.status).toBe('fail');
    expect(first.byName['home permissions']?.detail).toMatch(
      new RegExp(`^open to other users: ${home} \\(755\\), ${home}/config \\(755\\), `),
    );
    expect(first.byName['home permissions']?.detail).toContain(
      `${join(home, 'config', 'config.json')} (644)`,
    );
    expect(first.byName['stale files']?.status).toBe('warn');
    expect(first.byName['stale files']?.detail).toContain(
      `${join(home, 'config', `config.json.${pid}.tmp`)} (interrupted write of process ${pid}, which is gone)`,
    );
    expect(first.byName['stale files']?.detail).toContain(
      `${join(home, 'gateway', 'gateway.pid')} (pid file of process ${pid}, which is not running)`,
    );
    expect(first.byName['stale files']?.detail).toContain(`${socketPath} (socket no process listens on)`);
    expect(first.byName.config).toMatchObject({
      status: 'fail',
      detail: `${join(home, 'config', 'config.json')}: (root): Unrecognized key: "agnet"`,
    });
    expect(first.byName.gateway?.status).toBe('warn');
    expect(first.byName.gateway?.detail).toContain('ECONNREFUSED');

    const fixed = await doctor(home, ['--fix'], env);
    expect(fixed.code).toBe(1);
    expect(fixed.stdout).toContain(`fixed: created memory`);
    expect(fixed.stdout).toContain(`fixed: chmod 700 ${home} (was 755)`);
    expect(fixed.stdout).toContain(`fixed: chmod 600 ${join(home, 'config', 'config.json')} (was 644)`);
    expect(fixed.stdout).toContain(`fixed: removed ${join(home, 'gateway', 'gateway.pid')}`);
    expect(fixed.stdout).toMatch(/fail {2}config: .*Unrecognized key: "agnet"\n {6}hint: viber config edit/);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'memory')).mode & 0o777).toBe(0o700);
    expect(existsSync(join(home, 'config', `config.json.${pid}.tmp`))).toBe(false);
    expect(existsSync(socketPath)).toBe(false);

    const second = await doctorJson(home, [], env);
    expect(second.code).toBe(1);
    // What is left cannot be fixed safely: the config is the user's to correct.
    expect(
      second.report.checks.filter((check) => check.status === 'fail').map((check) => check.name),
    ).toEqual(['config']);
    for (const name of ['home folders', 'home permissions', 'stale files'])
      expect(second.byName[name]?.status).toBe('ok');
  });

  it('checks each provider with a model list, and the gateway, its port, clock and this daemon', async () => {
    const model = await startModelServer({ models: ['test-model'] });
    const refusing = await startLocalHttpServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end('{"error":{"message":"invalid key"}}');
    });
    onCleanup(() => refusing.close());
    const gateway = await spawnGateway();
    const registered = await gateway.rest.registerViber('doctor-viber');
    const home = makeTempDir('doctor');
    mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
    mkdirSync(join(home, 'daemon'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(home, 'config', 'config.json'),
      JSON.stringify({
        model: 'custom/test-model',
        providers: {
          custom: { baseURL: model.baseURL },
          openai: { apiKey: 'sk-bad', baseURL: `${refusing.url}/v1` },
        },
      }),
    );
    writeFileSync(
      join(home, 'daemon', 'credentials.json'),
      JSON.stringify({ server: gateway.wsUrl, viberId: registered.id, token: registered.token }),
    );
    const env = { OPENVIBER_GATEWAY_URL: gateway.url, OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken };

    const { code, byName } = await doctorJson(home, [], env);
    expect(byName['provider custom']).toMatchObject({
      status: 'ok',
      detail: `${model.baseURL}/models: key accepted, 1 models`,
    });
    expect(byName['provider openai']).toMatchObject({
      status: 'fail',
      detail: `${refusing.url}/v1/models refused the API key (HTTP 401: invalid key); check the key`,
    });
    expect(refusing.requests[0]?.url).toBe('/v1/models');
    expect(model.requests).toHaveLength(0); // no chat completion: no tokens spent
    expect(byName.gateway).toMatchObject({ status: 'ok' });
    expect(byName.gateway?.detail).toBe(`${gateway.url}: 0 vibers, 0 tasks, version ${PACKAGE_VERSION}`);
    expect(byName['gateway port']).toMatchObject({ status: 'ok' });
    expect(byName['gateway port']?.detail).toContain(
      `port ${gateway.port}: the gateway, pid ${gateway.process.pid} (`,
    );
    expect(byName['gateway port']?.detail).toContain('viber.js gateway');
    expect(byName.clock).toMatchObject({ status: 'ok' });
    expect(byName.daemon).toMatchObject({
      status: 'warn',
      detail: `paired as ${registered.id} with ${gateway.wsUrl}: offline`,
    });
    expect(code).toBe(1); // the refused openai key
  });

  it('says which process holds the gateway port when it is not a gateway', async () => {
    const impostor = await startLocalHttpServer((_request, response) => {
      response.writeHead(404);
      response.end();
    });
    onCleanup(() => impostor.close());
    const port = Number(new URL(impostor.url).port);
    const { byName } = await doctorJson(makeTempDir('doctor'), [], { OPENVIBER_GATEWAY_URL: impostor.url });
    expect(byName['gateway port']).toMatchObject({
      status: 'fail',
      hint: 'stop that process, or run the gateway on another port (viber gateway --port N, OPENVIBER_GATEWAY_URL)',
    });
    expect(byName['gateway port']?.detail).toContain(`port ${port} is held by pid ${process.pid} (`);
  });
});
