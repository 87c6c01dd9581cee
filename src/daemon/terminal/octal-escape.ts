/**
 * Decodes the value of a control-mode `%output` line: tmux writes bytes below 32 and the backslash
 * as `\ooo` (three octal digits) and every other byte as is. Works on bytes, because a UTF-8
 * character may be split across two `%output` lines.
 */
export function decodeOctalEscapes(line: Buffer, start = 0): Buffer {
  // Most output lines of printable text have no escape at all.
  if (line.indexOf(0x5c, start) === -1) return line.subarray(start);
  const out = Buffer.allocUnsafe(line.length - start);
  let length = 0;
  for (let index = start; index < line.length; index += 1) {
    const byte = line[index]!;
    if (byte === 0x5c && isOctal(line[index + 1]) && isOctal(line[index + 2]) && isOctal(line[index + 3])) {
      out[length] =
        ((line[index + 1]! - 0x30) << 6) | ((line[index + 2]! - 0x30) << 3) | (line[index + 3]! - 0x30);
      index += 3;
    } else {
      out[length] = byte;
    }
    length += 1;
  }
  return out.subarray(0, length);
}

function isOctal(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x37;
}
