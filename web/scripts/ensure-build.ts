// Builds the Viber Board (web/build) when it is missing or older than its sources, so that
// `npm start` and `npm test` work on a fresh clone with no separate build step. Concurrent
// callers (parallel test workers) wait for one build instead of racing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressBuild } from './compress.ts';

export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_INDEX = join(WEB_DIR, 'build', 'index.html');
// The bundle also holds the gateway client and the protocol it checks answers with (src/client,
// src/protocol at the repository root): a change there is a change to the board.
const SOURCES = [
  'src',
  'static',
  'vite.config.ts',
  'scripts',
  'package.json',
  'tsconfig.json',
  '../src/client',
  '../src/protocol',
];
const LOCK = join(WEB_DIR, '.build-lock');
const LOCK_STALE_MS = 5 * 60_000;

function newestMtime(path: string): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when web/build is missing or older than anything it is built from. */
export function boardBuildIsStale(): boolean {
  const built = newestMtime(BUILD_INDEX);
  if (built === 0) return true;
  return SOURCES.some((source) => newestMtime(join(WEB_DIR, source)) > built);
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    if (Date.now() - newestMtime(LOCK) > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
}

/** Builds the board if needed; throws with the build's output when the build fails. */
export async function ensureBoardBuilt(log: (line: string) => void = () => {}): Promise<void> {
  while (boardBuildIsStale()) {
    if (!tryLock()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (!boardBuildIsStale()) return;
      log('building the Viber Board (web/build)…');
      const vite = join(WEB_DIR, '..', 'node_modules', 'vite', 'bin', 'vite.js');
      const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
        cwd: WEB_DIR,
        encoding: 'utf8',
        // A production bundle whoever calls: under vitest NODE_ENV is `test`, and Vite would then
        // bundle Svelte's development build (a third more of the board's runtime).
        env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production' },
      });
      if (result.status !== 0) {
        throw new Error(`building the board failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
      }
      // The .br and .gz the gateway serves (the web workspace's `build` script does the same).
      compressBuild();
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureBoardBuilt((line) => process.stderr.write(`${line}\n`)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
