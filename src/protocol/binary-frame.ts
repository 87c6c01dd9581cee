/**
 * The one layout of binary frames on the gateway's sockets: one byte for the frame's kind, then
 * each name as a 16-bit big-endian byte length and its UTF-8 bytes, then the data. Kinds: 1 and 2
 * are terminal output (terminal.ts), 3 is a desktop view's bytes (desktop-view.ts), 4 a proxied
 * port's answer or tunnel bytes (ports.ts).
 */
export const BINARY_FRAME_KIND = { paneOutput: 1, viewerOutput: 2, desktopView: 3, portData: 4 } as const;

const MAX_NAME_BYTES = 1024;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function encodeNamedFrame(kind: number, names: readonly string[], data: Uint8Array): Uint8Array {
  const encoded = names.map((name) => utf8Encoder.encode(name));
  const header = 1 + encoded.reduce((total, name) => total + 2 + name.length, 0);
  const frame = new Uint8Array(header + data.length);
  frame[0] = kind;
  let offset = 1;
  for (const name of encoded) {
    if (name.length > MAX_NAME_BYTES) throw new RangeError(`a frame name is over ${MAX_NAME_BYTES} bytes`);
    frame[offset] = name.length >> 8;
    frame[offset + 1] = name.length & 0xff;
    frame.set(name, offset + 2);
    offset += 2 + name.length;
  }
  frame.set(data, offset);
  return frame;
}

/** The names and the data (a view into `frame`), or undefined when the frame is not of this kind or is cut short. */
export function decodeNamedFrame(
  kind: number,
  count: number,
  frame: Uint8Array,
): { names: string[]; data: Uint8Array } | undefined {
  if (frame.length < 1 || frame[0] !== kind) return undefined;
  const names: string[] = [];
  let offset = 1;
  for (let index = 0; index < count; index += 1) {
    if (offset + 2 > frame.length) return undefined;
    const length = (frame[offset]! << 8) | frame[offset + 1]!;
    offset += 2;
    if (length > MAX_NAME_BYTES || offset + length > frame.length) return undefined;
    names.push(utf8Decoder.decode(frame.subarray(offset, offset + length)));
    offset += length;
  }
  return { names, data: frame.subarray(offset) };
}
