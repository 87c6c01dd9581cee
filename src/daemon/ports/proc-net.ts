import { readFile } from 'node:fs/promises';

/** One listening TCP socket of the machine (of the daemon's network namespace). */
export interface ListeningSocket {
  address: string;
  port: number;
  /** The socket's inode: `/proc/<pid>/fd/*` links to `socket:[inode]`. */
  inode: number;
}

/** `st` of a socket in LISTEN (include/net/tcp_states.h: TCP_LISTEN = 10). */
const LISTEN = '0A';

/**
 * The listening sockets in `/proc/net/tcp` and `/proc/net/tcp6` (Linux). These files list the
 * sockets of the reader's network namespace: a process in another namespace (a command run with
 * its network taken away) cannot be reached from here either, so it is right not to see it.
 */
export async function readListeningSockets(procRoot = '/proc'): Promise<ListeningSocket[]> {
  const sockets: ListeningSocket[] = [];
  for (const [file, v6] of [
    ['tcp', false],
    ['tcp6', true],
  ] as const) {
    let text: string;
    try {
      text = await readFile(`${procRoot}/net/${file}`, 'utf8');
    } catch {
      continue; // no IPv6 on this machine, or no /proc
    }
    sockets.push(...parseProcNetTcp(text, v6));
  }
  return sockets;
}

/** The LISTEN rows of one `/proc/net/tcp{,6}` text; rows it cannot read are skipped. */
export function parseProcNetTcp(text: string, v6: boolean): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    if (fields.length < 10 || fields[3] !== LISTEN) continue;
    const [hexAddress, hexPort] = (fields[1] ?? '').split(':');
    const inode = Number(fields[9]);
    if (!hexAddress || !hexPort || !Number.isSafeInteger(inode) || inode <= 0) continue;
    const address = v6 ? ipv6Of(hexAddress) : ipv4Of(hexAddress);
    const port = Number.parseInt(hexPort, 16);
    if (address === undefined || !(port > 0)) continue;
    sockets.push({ address, port, inode });
  }
  return sockets;
}

/** The kernel prints each 32-bit word of the address in host order (little-endian here). */
function wordsOf(hex: string): number[] | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length % 8 !== 0) return undefined;
  const words: number[] = [];
  for (let at = 0; at < hex.length; at += 8) {
    const bytes = Buffer.from(hex.slice(at, at + 8), 'hex');
    words.push(bytes.readUInt32LE(0));
  }
  return words;
}

function ipv4Of(hex: string): string | undefined {
  const words = wordsOf(hex);
  if (words?.length !== 1) return undefined;
  const word = words[0]!;
  return [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff].join('.');
}

function ipv6Of(hex: string): string | undefined {
  const words = wordsOf(hex);
  if (words?.length !== 4) return undefined;
  const bytes = Buffer.alloc(16);
  for (const [index, word] of words.entries()) bytes.writeUInt32BE(word, index * 4);
  // An IPv4-mapped address (::ffff:a.b.c.d) reads as the IPv4 address it maps.
  if (bytes.subarray(0, 10).every((byte) => byte === 0) && bytes.readUInt16BE(10) === 0xffff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  const groups: string[] = [];
  for (let at = 0; at < 16; at += 2) groups.push(bytes.readUInt16BE(at).toString(16));
  return compressIpv6(groups);
}

/** The longest run of zero groups becomes `::` (RFC 5952). */
function compressIpv6(groups: string[]): string {
  let best = { start: -1, length: 0 };
  for (let start = 0; start < groups.length; ) {
    if (groups[start] !== '0') {
      start += 1;
      continue;
    }
    let end = start;
    while (end < groups.length && groups[end] === '0') end += 1;
    if (end - start > best.length && end - start > 1) best = { start, length: end - start };
    start = end;
  }
  if (best.start === -1) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/** Where the daemon connects to reach a service listening on `address`. */
export function connectHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  if (address.startsWith('::ffff:')) return address.slice('::ffff:'.length);
  return address;
}
