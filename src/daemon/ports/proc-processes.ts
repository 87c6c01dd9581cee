import { readdir, readFile, readlink } from 'node:fs/promises';

/** What the daemon can read of a process in /proc (its own user's processes). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** argv, as /proc/<pid>/cmdline holds it (NUL-separated). */
  argv: string[];
  cwd: string | null;
}

/**
 * Which process holds each of `inodes`: every readable `/proc/<pid>/fd/*` link `socket:[inode]`.
 * A socket shared by several processes (a forked server) goes to the lowest pid, the parent.
 * Processes of other users are unreadable and skipped: their ports are not the viber's work.
 */
export async function socketOwners(
  inodes: ReadonlySet<number>,
  procRoot = '/proc',
): Promise<Map<number, number>> {
  const owners = new Map<number, number>();
  if (inodes.size === 0) return owners;
  const pids = (await readdir(procRoot).catch(() => [] as string[]))
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await readdir(`${procRoot}/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const target = await readlink(`${procRoot}/${pid}/fd/${fd}`).catch(() => '');
        const match = /^socket:\[(\d+)\]$/.exec(target);
        if (!match) continue;
        const inode = Number(match[1]);
        const known = owners.get(inode);
        if (inodes.has(inode) && (known === undefined || pid < known)) owners.set(inode, pid);
      }
    }),
  );
  return owners;
}

/** A process's parent, command line and working directory; undefined once it is gone. */
export async function processInfo(pid: number, procRoot = '/proc'): Promise<ProcessInfo | undefined> {
  try {
    const stat = await readFile(`${procRoot}/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after the last ')'.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(after[1]);
    const cmdline = await readFile(`${procRoot}/${pid}/cmdline`, 'utf8').catch(() => '');
    const cwd = await readlink(`${procRoot}/${pid}/cwd`).catch(() => null);
    return {
      pid,
      ppid: Number.isSafeInteger(ppid) ? ppid : 0,
      argv: cmdline.split('\0').filter(Boolean),
      cwd,
    };
  } catch {
    return undefined;
  }
}

/** The pids from `pid`'s parent up to init (at most 64 steps: a loop in /proc is not possible, but bounded anyway). */
export async function ancestorsOf(pid: number, procRoot = '/proc'): Promise<ProcessInfo[]> {
  const chain: ProcessInfo[] = [];
  let current = await processInfo(pid, procRoot);
  for (let step = 0; current && current.ppid > 1 && step < 64; step += 1) {
    const parent = await processInfo(current.ppid, procRoot);
    if (!parent) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}
