import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../../../test/support/temp-dirs.ts';
import { discoverPorts } from './port-discovery.ts';
import { probePort } from './port-probe.ts';
import { connectHost, parseProcNetTcp, readListeningSockets } from './proc-net.ts';

// Real sockets, real /proc: the test listens itself and starts processes that listen, then reads
// them back as the daemon does.

const servers: Server[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  removeTempDirs();
});

async function listen(host: string): Promise<number> {
  const server = createServer((socket) => socket.resume().end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as { port: number }).port;
}

/** A node process in `cwd` listening on a free port; resolves with its pid and port. */
async function listeningChild(cwd: string): Promise<{ pid: number; port: number }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer(c=>c.resume().end()).listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ],
    { cwd, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const port = await new Promise<number>((resolve) =>
    child.stdout!.once('data', (data) => resolve(Number(String(data).trim()))),
  );
  return { pid: child.pid!, port };
}

describe('reading /proc/net/tcp', () => {
  it('parses LISTEN rows of IPv4 and IPv6, skipping the others', () => {
    const v4 = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0',
      '   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 100 0 0 10 0',
      '   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0 20 4 30 10 -1',
      'garbage',
    ].join('\n');
    expect(parseProcNetTcp(v4, false)).toEqual([
      { address: '127.0.0.1', port: 8080, inode: 4242 },
      { address: '0.0.0.0', port: 80, inode: 4343 },
    ]);
    const v6 = [
      'header',
      '   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5151 1',
      '   1: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5252 1',
      '   2: 0000000000000000FFFF00000100007F:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5353 1',
    ].join('\n');
    expect(parseProcNetTcp(v6, true)).toEqual([
      { address: '::1', port: 8081, inode: 5151 },
      { address: '::', port: 8082, inode: 5252 },
      { address: '::ffff:127.0.0.1', port: 8083, inode: 5353 },
    ]);
    expect(connectHost('0.0.0.0')).toBe('127.0.0.1');
    expect(connectHost('::')).toBe('::1');
    expect(connectHost('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('finds sockets this test listens on, with their addresses', async () => {
    const port = await listen('127.0.0.1');
    const sockets = await readListeningSockets();
    expect(sockets).toContainEqual(expect.objectContaining({ address: '127.0.0.1', port }));
  });
});

describe('discoverPorts', () => {
  it("lists a descendant's port as the daemon's work, with pid and command; the daemon's own are never listed", async () => {
    const port = await listen('127.0.0.1');
    const workspace = makeTempDir('ports-workspace');
    // This test process plays a task's command: its parent plays the daemon.
    const asDescendant = await discoverPorts({ daemonPid: process.ppid, workspace, environments: [] });
    expect(asDescendant).toContainEqual(
      expect.objectContaining({ port, address: '127.0.0.1', pid: process.pid, ownership: 'daemon' }),
    );
    expect(asDescendant.find((found) => found.port === port)?.command).toContain(
      process.argv0.split('/').pop()!,
    );
    const asDaemon = await discoverPorts({ daemonPid: process.pid, workspace, environments: [] });
    expect(asDaemon.map((found) => found.port)).not.toContain(port);
  });

  it('lists a process working in the workspace, in an environment, or in a task folder, and nothing else', async () => {
    const workspace = realpathSync(makeTempDir('ports-workspace'));
    const taskDir = join(workspace, 'task_abc');
    const environmentRoot = join(workspace, 'environments', 'env_1');
    const elsewhere = makeTempDir('ports-elsewhere');
    mkdirSync(taskDir, { recursive: true });
    mkdirSync(environmentRoot, { recursive: true });
    const inTask = await listeningChild(taskDir);
    const inEnvironment = await listeningChild(environmentRoot);
    const outside = await listeningChild(elsewhere);
    // No daemon here: only working directories count.
    const found = await discoverPorts({
      daemonPid: 2 ** 30,
      workspace,
      environments: [{ environmentId: 'env_1', root: environmentRoot }],
    });
    expect(found).toContainEqual(
      expect.objectContaining({
        port: inTask.port,
        pid: inTask.pid,
        ownership: 'workspace',
        taskId: 'task_abc',
        cwd: taskDir,
      }),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        port: inEnvironment.port,
        pid: inEnvironment.pid,
        ownership: 'environment',
        environmentId: 'env_1',
      }),
    );
    expect(found.find((entry) => entry.port === inEnvironment.port)?.taskId).toBeUndefined();
    expect(found.map((entry) => entry.port)).not.toContain(outside.port);
    expect(found.find((entry) => entry.port === inTask.port)?.command).toMatch(/createServer/);
  });

  it('probes: a listening socket answers, an HTTP one with its status, a closed port does not', async () => {
    const tcp = await listen('127.0.0.1');
    expect(await probePort('127.0.0.1', tcp)).toEqual({ answers: true });
    const http = await import('node:http');
    const server = http.createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const httpPort = (server.address() as { port: number }).port;
    expect(await probePort('0.0.0.0', httpPort)).toEqual({ answers: true, httpStatus: 204 });
    await new Promise((resolve) => server.close(resolve));
    expect(await probePort('127.0.0.1', httpPort)).toEqual({ answers: false });
  });
});
