/** At most this many bytes per send-keys command: control-mode command lines stay short. */
const BYTES_PER_COMMAND = 2048;

/**
 * The send-keys commands (as argument lists) that deliver `keys` to a pane byte for byte, then
 * `specialKeys` by name. Printable text goes literally (`-l`); control characters, quotes and
 * backslashes go as hex bytes (`-H`), which tmux writes to the pane unchanged.
 */
export function sendKeysCommands(
  paneTarget: string,
  keys: string,
  specialKeys: readonly string[] = [],
): string[][] {
  const commands: string[][] = [];
  const bytes = Buffer.from(keys, 'utf8');
  let index = 0;
  while (index < bytes.length) {
    const literal = literalRunEnd(bytes, index);
    if (literal > index) {
      const end = Math.min(literal, utf8Boundary(bytes, index + BYTES_PER_COMMAND));
      commands.push(['send-keys', '-t', paneTarget, '-l', '--', bytes.toString('utf8', index, end)]);
      index = end;
      continue;
    }
    let end = index;
    while (end < bytes.length && end - index < BYTES_PER_COMMAND / 4 && !isLiteral(bytes[end]!)) end += 1;
    const hex = [...bytes.subarray(index, end)].map((byte) => byte.toString(16).padStart(2, '0'));
    commands.push(['send-keys', '-t', paneTarget, '-H', ...hex]);
    index = end;
  }
  for (const name of specialKeys) commands.push(['send-keys', '-t', paneTarget, name]);
  return commands;
}

/**
 * One control-mode command line. Arguments are single-quoted unless they are plain words; callers
 * never pass a quote or a newline (send-keys text with those goes as hex), so quoting is exact.
 */
export function commandLine(args: readonly string[]): string {
  return args.map((arg) => (/^[A-Za-z0-9%_.@-]+$/.test(arg) ? arg : `'${arg}'`)).join(' ');
}

/** Printable ASCII except the quote and backslash, and every byte of a UTF-8 character. */
function isLiteral(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c) || byte >= 0x80;
}

function literalRunEnd(bytes: Buffer, start: number): number {
  let end = start;
  while (end < bytes.length && isLiteral(bytes[end]!)) end += 1;
  return end;
}

/** The largest index <= `index` that does not split a UTF-8 character. */
function utf8Boundary(bytes: Buffer, index: number): number {
  if (index >= bytes.length) return bytes.length;
  let end = index;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return end;
}
