import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';

/**
 * A throwaway PostgreSQL 15 cluster for one test file: Debian's binaries (the `postgresql`
 * package, which `.ci/run` installs), a fresh data folder and Unix socket folder under a temp
 * folder, a free TCP port on 127.0.0.1, trust authentication and no durability (fsync off: the
 * cluster dies with the test). PostgreSQL refuses to run as root; as root (CI) the folder belongs
 * to the `postgres` OS user and initdb and pg_ctl run through `runuser -u postgres --`.
 */

const run = promisify(execFile);
const BIN = process.env.OPENVIBER_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'openviber';

export interface PostgresServer {
  readonly port: number;
  /** A connection URL for a database of this cluster. */
  url(database: string): string;
  /** Creates an empty database with a fresh name; returns its URL. */
  createDatabase(): Promise<string>;
  dropDatabase(url: string): Promise<void>;
  /** One statement as the superuser, on the `postgres` database (or the one named). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    values?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** Stops the cluster the fast way (every backend terminated) and starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops the server the fast way, keeping its data, until `resume`. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  for (const tool of ['initdb', 'pg_ctl']) {
    if (!existsSync(join(BIN, tool))) {
      throw new Error(
        `PostgreSQL 15 is not installed: ${join(BIN, tool)} is missing. Install Debian's package ` +
          '(`apt-get install postgresql`, as .ci/run does) or point OPENVIBER_PG_BIN at a folder with initdb and pg_ctl.',
      );
    }
  }
  const dir = makeTempDir('postgres');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const ids = await run('id', ['-u', 'postgres']).then(
      async (uid) => [Number(uid.stdout), Number((await run('id', ['-g', 'postgres'])).stdout)] as const,
      () => {
        throw new Error(
          "running as root needs the `postgres` OS user (Debian's postgresql package makes it)",
        );
      },
    );
    chownSync(dir, ids[0], ids[1]);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  const pgTool = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]) : run(join(BIN, tool), args);
  const port = await freePort();
  await pgTool('initdb', [
    '-D',
    data,
    '-U',
    SUPERUSER,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]).catch((error: unknown) => {
    throw withOutput('initdb failed', error);
  });
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const start = () =>
    pgTool('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']).catch(
      (error: unknown) => {
        throw withOutput(`PostgreSQL did not start (its log: ${tail(log)})`, error);
      },
    );
  const stop = (mode: 'fast' | 'immediate') => pgTool('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  await start();
  // A test process that exits without its afterAll (a crash, a timeout) still takes the cluster along.
  const stopOnExit = () => {
    const args = [join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'];
    try {
      execFileSync(
        asRoot ? 'runuser' : args[0]!,
        asRoot ? ['-u', 'postgres', '--', ...args] : args.slice(1),
        {
          stdio: 'ignore',
        },
      );
    } catch {
      // Already stopped.
    }
  };
  process.once('exit', stopOnExit);

  const url = (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  let databases = 0;
  const query = async <R extends pg.QueryResultRow>(
    sql: string,
    values: unknown[] = [],
    database = 'postgres',
  ) => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };
  let stopped = false;
  return {
    port,
    url,
    query,
    async createDatabase() {
      databases += 1;
      const name = `contract_${process.pid}_${databases}`;
      await query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async dropDatabase(databaseUrl) {
      const name = new URL(databaseUrl).pathname.slice(1);
      await query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
    async restart() {
      await stop('fast');
      await start();
    },
    async pause() {
      await stop('fast');
    },
    async resume() {
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopOnExit);
      await stop('immediate').catch(() => {});
      removeTempDir(dir);
    },
  };
}

/** One cluster for the calling test file: started before its tests, stopped and removed after. */
export function usePostgresServer(): { readonly server: PostgresServer } {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgresServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('the PostgreSQL server runs only inside the tests of its file');
      return server;
    },
  };
}

/** A port the system says is free on 127.0.0.1 (bound to port 0, then closed). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

function withOutput(what: string, error: unknown): Error {
  const { stderr, stdout } = error as { stderr?: string; stdout?: string };
  return new Error(`${what}: ${(stderr || stdout || String(error)).trim()}`, { cause: error });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return 'none';
  }
}
