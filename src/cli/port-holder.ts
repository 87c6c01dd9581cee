import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process listening on a TCP port, as /proc shows it. */
export interface PortHolder {
  pid: number;
  command: string;
}

/**
 * Who listens on `port` (any address), from /proc/net/tcp{,6} and each process's open sockets.
 * Linux only, and only processes this user may inspect (its own, or all as root): elsewhere, or
 * when the holder is someone else's, the answer is undefined and the caller says less.
 */
export function findPortHolder(port: number, proc = '/proc'): PortHolder | undefined {
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${proc}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== '0A') continue; // 0A: LISTEN
      if (Number.parseInt(local.split(':')[1] ?? '', 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of safeList(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    for (const fd of safeList(`${proc}/${entry}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`${proc}/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return { pid: Number(entry), command: commandOf(proc, entry) };
    }
  }
  return undefined;
}

function safeList(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function commandOf(proc: string, pid: string): string {
  try {
    const words = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const line = words.join(' ');
    return line.length > 120 ? `${line.slice(0, 120)}…` : line;
  } catch {
    return '?';
  }
}

/** The one line for a port another process holds: who, and how to choose another. */
export function portInUseMessage(host: string, port: number, holder: PortHolder | undefined): string {
  const who = holder
    ? `process ${holder.pid} (${holder.command}) is listening on it`
    : 'another process is listening on it';
  return `cannot listen on ${host}:${port}: the port is in use; ${who}. Stop it, or choose another port with --port <n> (--port 0 picks a free one)`;
}
