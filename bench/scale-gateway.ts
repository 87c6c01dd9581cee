import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, REPO_ROOT, VIBER_BIN } from '../test/support/processes.ts';
import { RestClient } from '../test/support/rest-client.ts';
import type { BenchChild, Probe } from './bench-child.ts';

/**
 * `viber gateway` as its own process for the scale-out bench, started the way an operator starts
 * it (`viber gateway --host 127.0.0.1 --port 0 [--store postgres://... --bus redis://...]`), with
 * bench/scale-probe.ts loaded first so it answers probes (its CPU and, after a collection, its
 * memory) over IPC like the other benches' servers.
 */

export interface GatewayProcess extends BenchChild {
  name: string;
  home: string;
  port: number;
  wsUrl: string;
  rest: RestClient;
  /** Kills it with SIGKILL and resolves once it exited. */
  sigkill(): Promise<void>;
  readonly alive: boolean;
}

export interface GatewayStart {
  name: string;
  home: string;
  token: string;
  masterKey: string;
  /** 0 (default) picks a free port; the old port restarts it in place. */
  port?: number;
  /** `--store ... --bus ...`, or nothing for the embedded store and bus. */
  args?: string[];
}

const PRELOAD = pathToFileURL(join(REPO_ROOT, 'bench/scale-probe.ts')).href;
const started = new Set<ChildProcess>();

export function startGatewayProcess(options: GatewayStart): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      PRELOAD,
      VIBER_BIN,
      'gateway',
      '--host',
      '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      ...(options.args ?? []),
    ],
    {
      cwd: REPO_ROOT,
      env: cleanEnv({
        OPENVIBER_HOME: options.home,
        OPENVIBER_OPERATOR_TOKEN: options.token,
        OPENVIBER_MASTER_KEY: options.masterKey,
        OPENVIBER_LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  started.add(child);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      started.delete(child);
      resolve();
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  let pending: ((probe: Probe) => void) | undefined;
  child.on('message', (message) => pending?.(message as Probe));
  const probe = (probeOptions: { collect?: boolean } = {}) =>
    new Promise<Probe>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no probe answer from ${options.name}`)), 60_000);
      pending = (answer) => {
        clearTimeout(timer);
        pending = undefined;
        resolve(answer);
      };
      child.send({ probe: true, collect: probeOptions.collect ?? false });
    });
  const sigkill = async () => {
    if (exited) return;
    child.kill('SIGKILL');
    await exit;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      void sigkill();
      reject(new Error(`${options.name} did not start: ${stderr}`));
    }, 60_000);
    child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      const url = match[1]!;
      resolve({
        name: options.name,
        home: options.home,
        url,
        port: Number(match[2]),
        wsUrl: `ws://127.0.0.1:${match[2]}/ws`,
        pid: child.pid!,
        rest: new RestClient(url, options.token),
        probe,
        kill: () => void sigkill(),
        sigkill,
        get alive() {
          return !exited;
        },
      });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${signal ?? code}): ${stderr}`));
    });
  });
}

/** SIGKILLs every gateway this module started that is still running. */
export async function killAllGateways(): Promise<void> {
  await Promise.all(
    [...started].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});
