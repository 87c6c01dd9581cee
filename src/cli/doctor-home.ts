import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ensureDir, type OpenViberHome } from '../core/home.ts';
import { type CheckResult, fail, ok, warn } from './doctor-check.ts';

/**
 * The home as home.ts means it: every folder present, nothing open to other users (folders 0700,
 * files 0600), all owned by this user; and no leftovers of a process that died (a `<file>.<pid>.tmp`
 * of an interrupted write, a `*.pid` file, a tmux socket no server answers on).
 */

function foldersOf(home: OpenViberHome): string[] {
  return [home.root, home.config, home.workspace, home.memory, home.agents, home.gateway, home.daemon];
}

/** Files that hold tokens, keys and the store: the top of config/, gateway/ and daemon/. */
function privateFilesOf(home: OpenViberHome): string[] {
  return [home.config, home.gateway, home.daemon].flatMap((folder) =>
    existsSync(folder)
      ? readdirSync(folder, { withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(folder, entry.name))
      : [],
  );
}

export function checkHomeFolders(home: OpenViberHome, fix: boolean): CheckResult {
  const missing = foldersOf(home).filter((folder) => !existsSync(folder));
  if (missing.length === 0) return ok('home folders', `${home.root}: every folder present`);
  const names = missing.map((folder) => folder.slice(home.root.length + 1) || home.root).join(', ');
  if (!fix) return warn('home folders', `missing: ${names}`, 'viber doctor --fix creates them (mode 0700)');
  for (const folder of missing) ensureDir(folder);
  return { ...ok('home folders', `${home.root}: every folder present`), fixed: [`created ${names}`] };
}

export function checkHomePermissions(home: OpenViberHome, fix: boolean): CheckResult {
  const uid = process.getuid?.();
  const open: { path: string; mode: number; folder: boolean }[] = [];
  const foreign: string[] = [];
  for (const [path, folder] of [
    ...foldersOf(home).map((path) => [path, true] as const),
    ...privateFilesOf(home).map((path) => [path, false] as const),
  ]) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (uid !== undefined && stat.uid !== uid) foreign.push(`${path} (uid ${stat.uid})`);
    else if ((stat.mode & 0o077) !== 0) open.push({ path, mode: stat.mode & 0o777, folder });
  }
  const fixed: string[] = [];
  if (fix) {
    for (const entry of open.splice(0)) {
      chmodSync(entry.path, entry.folder ? 0o700 : 0o600);
      fixed.push(`chmod ${entry.folder ? '700' : '600'} ${entry.path} (was ${entry.mode.toString(8)})`);
    }
  }
  const withFixes = (result: CheckResult) => (fixed.length > 0 ? { ...result, fixed } : result);
  if (foreign.length > 0)
    return withFixes(
      fail(
        'home permissions',
        `owned by another user: ${foreign.join(', ')}`,
        `chown -R $(id -un) ${home.root}`,
      ),
    );
  if (open.length > 0)
    return fail(
      'home permissions',
      `open to other users: ${open.map((entry) => `${entry.path} (${entry.mode.toString(8)})`).join(', ')}`,
      'viber doctor --fix closes them (folders 0700, files 0600): they hold tokens, keys and logs',
    );
  return withFixes(ok('home permissions', 'folders 0700, private files 0600, all yours'));
}

export async function checkStaleFiles(home: OpenViberHome, fix: boolean): Promise<CheckResult> {
  const stale: { path: string; why: string }[] = [];
  for (const folder of [home.root, home.config, home.gateway, home.daemon]) {
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const temporary = name.match(/\.(\d+)\.tmp$/);
      if (temporary && !alive(Number(temporary[1])))
        stale.push({ path, why: `interrupted write of process ${temporary[1]}, which is gone` });
      if (name.endsWith('.pid')) {
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (!Number.isInteger(pid) || pid <= 0 || !alive(pid))
          stale.push({ path, why: `pid file of process ${pid || '?'}, which is not running` });
      }
      if (name.endsWith('.sock') && statSync(path).isSocket() && !(await answers(path)))
        stale.push({ path, why: 'socket no process listens on' });
    }
  }
  if (stale.length === 0) return ok('stale files', 'no leftovers of stopped processes');
  const list = stale.map((entry) => `${entry.path} (${entry.why})`).join(', ');
  if (!fix) return warn('stale files', list, 'viber doctor --fix removes them');
  for (const entry of stale) rmSync(entry.path, { force: true });
  return {
    ...ok('stale files', 'no leftovers of stopped processes'),
    fixed: stale.map((entry) => `removed ${entry.path}`),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
