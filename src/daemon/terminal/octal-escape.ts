/**
 * Decodes the value of a control-mode `%output` line: tmux writes bytes below 32 and the backslash
 * as `\ooo` (three octal digits) and every other byte as is. Works on bytes, because a UTF-8
 * character may be split across two `%output` lines.
 */
export function decodeOctalEscapes(line: Buffer, start = 0): Buffer {
  // Most output lines of printable text have no escape at all.
  if (line.indexOf(0x5c, start) === -1) return line.subarray(start);
  const out = Buffer.allocUnsafe(line.length - start);
  return out.subarray(0, decodeOctalEscapesInto(line, start, out, 0));
}

/**
 * decodeOctalEscapes into `out` from `offset` (which has room for `line.length - start` more
 * bytes: decoding never lengthens); returns the offset after the last byte written. The runs
 * between escapes (most of a line: text, with `\015\012` at its end) are copied whole.
 */
export function decodeOctalEscapesInto(line: Buffer, start: number, out: Buffer, offset: number): number {
  let from = start;
  let at = offset;
  for (let slash = line.indexOf(0x5c, from); slash !== -1; slash = line.indexOf(0x5c, from)) {
    if (slash > from) at += line.copy(out, at, from, slash);
    if (isOctal(line[slash + 1]) && isOctal(line[slash + 2]) && isOctal(line[slash + 3])) {
      out[at] =
        ((line[slash + 1]! - 0x30) << 6) | ((line[slash + 2]! - 0x30) << 3) | (line[slash + 3]! - 0x30);
      from = slash + 4;
    } else {
      out[at] = 0x5c;
      from = slash + 1;
    }
    at += 1;
  }
  if (from < line.length) at += line.copy(out, at, from, line.length);
  return at;
}

function isOctal(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x37;
}
