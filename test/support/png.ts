import { inflateSync } from 'node:zlib';

/** A PNG's pixels, for tests that check what a screenshot shows: 8-bit RGB or RGBA, not interlaced. */
export interface PngPixels {
  width: number;
  height: number;
  channels: number;
  /** Row after row, `channels` bytes per pixel, filters undone. */
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function decodePng(file: Buffer): PngPixels {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: wrong signature');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0)
        throw new Error('only 8-bit, non-interlaced PNGs are decoded here');
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[body[9]!] ?? 0;
      if (channels === 0) throw new Error(`colour type ${body[9]} is not decoded here`);
    }
    if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const value = raw[y * (stride + 1) + 1 + i]!;
      const left = i >= channels ? pixels[y * stride + i - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      pixels[y * stride + i] = (value + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** How many different colours the image has (up to `limit`): a blank screenshot has one. */
export function distinctColours(image: PngPixels, limit = 1000): number {
  const seen = new Set<number>();
  for (let at = 0; at < image.pixels.length && seen.size < limit; at += image.channels) {
    seen.add(image.pixels.readUIntBE(at, 3));
  }
  return seen.size;
}

/** The colour at x,y as `[r, g, b]`. */
export function colourAt(image: PngPixels, x: number, y: number): [number, number, number] {
  const at = (y * image.width + x) * image.channels;
  return [image.pixels[at]!, image.pixels[at + 1]!, image.pixels[at + 2]!];
}
