/** At most this many bytes per send-keys command: control-mode command lines stay short. */
const BYTES_PER_COMMAND = 2048;
/** What a terminal sends around pasted text when the pane's program asked for bracketed paste. */
const PASTE_START = Buffer.from('\x1b[200~');
const PASTE_END = Buffer.from('\x1b[201~');

/**
 * One send-keys command, and where its text starts in the input's bytes (the length for key names).
 * Printable text goes literally (`-l`); control characters, quotes and backslashes go as hex bytes
 * (`-H`), which tmux writes to the pane unchanged; key names go last.
 */
interface KeysCommand {
  args: string[];
  start: number;
}

/**
 * Delivers `keys` to a pane byte for byte, then `specialKeys` by name, one send-keys command at a
 * time. When one fails after a bracketed paste was opened (by this input or an earlier one) and
 * before it was closed, the paste is closed before the error is rethrown: otherwise the pane's
 * shell keeps treating every later keystroke, Enter included, as pasted text.
 */
export async function deliverKeys(
  run: (args: string[]) => Promise<unknown>,
  paneTarget: string,
  keys: string,
  specialKeys: readonly string[] = [],
): Promise<void> {
  const bytes = Buffer.from(keys, 'utf8');
  for (const command of keysCommands(paneTarget, bytes, specialKeys)) {
    try {
      await run(command.args);
    } catch (error) {
      if (pasteLeftOpen(bytes, command.start))
        await run(['send-keys', '-t', paneTarget, '-H', ...hex(PASTE_END)]).catch(() => undefined);
      throw error;
    }
  }
}

/**
 * One control-mode command line. tmux's parser reads a bare word starting with `%` as a directive
 * (`%s` in `printf '%s'` is a syntax error) and expands `~`, `$` and `;` in bare words, so every
 * argument is single-quoted, where tmux takes everything literally; a quote inside is closed,
 * given in double quotes and reopened. A newline would end the command, so it is refused.
 */
export function commandLine(args: readonly string[]): string {
  return args
    .map((arg) => {
      if (/[\r\n]/.test(arg)) throw new Error('a control-mode command argument cannot hold a newline');
      return `'${arg.replaceAll("'", `'"'"'`)}'`;
    })
    .join(' ');
}

function keysCommands(paneTarget: string, bytes: Buffer, specialKeys: readonly string[]): KeysCommand[] {
  const commands: KeysCommand[] = [];
  let index = 0;
  while (index < bytes.length) {
    const start = index;
    const literal = literalRunEnd(bytes, index);
    if (literal > index) {
      const end = Math.min(literal, utf8Boundary(bytes, index + BYTES_PER_COMMAND));
      commands.push({
        args: ['send-keys', '-t', paneTarget, '-l', '--', bytes.toString('utf8', index, end)],
        start,
      });
      index = end;
      continue;
    }
    let end = index;
    while (end < bytes.length && end - index < BYTES_PER_COMMAND / 4 && !isLiteral(bytes[end]!)) end += 1;
    commands.push({ args: ['send-keys', '-t', paneTarget, '-H', ...hex(bytes.subarray(index, end))], start });
    index = end;
  }
  for (const name of specialKeys)
    commands.push({ args: ['send-keys', '-t', paneTarget, name], start: bytes.length });
  return commands;
}

/**
 * Whether the pane is inside a bracketed paste once `bytes` up to `sent` reached it: the last
 * marker sent decides; with none sent, an end marker still to come means an earlier input opened it.
 */
function pasteLeftOpen(bytes: Buffer, sent: number): boolean {
  const done = bytes.subarray(0, sent);
  const lastStart = done.lastIndexOf(PASTE_START);
  const lastEnd = done.lastIndexOf(PASTE_END);
  if (lastStart !== -1 || lastEnd !== -1) return lastStart > lastEnd;
  const rest = bytes.subarray(sent);
  const nextStart = rest.indexOf(PASTE_START);
  const nextEnd = rest.indexOf(PASTE_END);
  return nextEnd !== -1 && (nextStart === -1 || nextEnd < nextStart);
}

function hex(bytes: Uint8Array): string[] {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0'));
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
