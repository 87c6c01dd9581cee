import { crc32, deflateSync } from 'node:zlib';

/**
 * `xwd` output (X Window Dump, format version 7) to PNG, in Node: the screenshot needs only
 * x11-apps' `xwd`, not ImageMagick. Handles what X servers produce today: ZPixmap at 16, 24 or
 * 32 bits per pixel with colour masks (TrueColor, DirectColor), and 8 bits per pixel through the
 * colour map (PseudoColor, StaticColor, GrayScale).
 */

const HEADER_FIELDS = 25;
const ZPIXMAP = 2;
const XWD_VERSION = 7;

export interface DecodedImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row after row. */
  rgb: Buffer;
}

export function decodeXwd(data: Buffer): DecodedImage {
  if (data.length < HEADER_FIELDS * 4) throw new Error(`not an XWD image: ${data.length} bytes`);
  const field = (index: number) => data.readUInt32BE(index * 4);
  const headerSize = field(0);
  const [version, format, width, height] = [field(1), field(2), field(4), field(5)];
  const lsbFirst = field(7) === 0;
  const bitsPerPixel = field(11);
  const bytesPerLine = field(12);
  const masks = [field(14), field(15), field(16)] as const;
  const colours = field(19);
  if (version !== XWD_VERSION || format !== ZPIXMAP) {
    throw new Error(`unsupported XWD image (version ${version}, format ${format})`);
  }
  if (width === 0 || height === 0 || width > 32_768 || height > 32_768) {
    throw new Error(`unsupported XWD size ${width}x${height}`);
  }
  const colourMapStart = headerSize;
  const pixelStart = colourMapStart + colours * 12;
  if (data.length < pixelStart + bytesPerLine * height) throw new Error('truncated XWD image');
  const colourMap = new Map<number, [number, number, number]>();
  for (let index = 0; index < colours; index++) {
    const at = colourMapStart + index * 12;
    colourMap.set(data.readUInt32BE(at), [data[at + 4]!, data[at + 6]!, data[at + 8]!]);
  }
  const bytesPerPixel = bitsPerPixel / 8;
  if (![1, 2, 3, 4].includes(bytesPerPixel))
    throw new Error(`unsupported XWD depth: ${bitsPerPixel} bits per pixel`);
  const channel = masks.map((mask) => maskShape(mask));
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = pixelStart + y * bytesPerLine;
    for (let x = 0; x < width; x++) {
      const at = row + x * bytesPerPixel;
      let pixel = 0;
      for (let byte = 0; byte < bytesPerPixel; byte++) {
        const value = data[lsbFirst ? at + bytesPerPixel - 1 - byte : at + byte]!;
        pixel = pixel * 256 + value;
      }
      const out = (y * width + x) * 3;
      if (bytesPerPixel === 1) {
        const [r, g, b] = colourMap.get(pixel) ?? [0, 0, 0];
        rgb[out] = r;
        rgb[out + 1] = g;
        rgb[out + 2] = b;
      } else {
        for (let c = 0; c < 3; c++) {
          const { shift, max } = channel[c]!;
          rgb[out + c] = max === 0 ? 0 : Math.round((((pixel >>> shift) & max) * 255) / max);
        }
      }
    }
  }
  return { width, height, rgb };
}

function maskShape(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** An 8-bit RGB PNG; each row with the Sub filter (flat screen areas deflate to almost nothing). */
export function encodePng(image: DecodedImage): Buffer {
  const { width, height, rgb } = image;
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const out = y * (stride + 1);
    raw[out] = 1; // filter: Sub
    for (let i = 0; i < stride; i++) {
      const left = i >= 3 ? rgb[y * stride + i - 3]! : 0;
      raw[out + 1 + i] = (rgb[y * stride + i]! - left) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/** The image at half its width and height (each pixel the mean of a 2x2 block). */
export function halve(image: DecodedImage): DecodedImage {
  const width = Math.max(1, Math.floor(image.width / 2));
  const height = Math.max(1, Math.floor(image.height / 2));
  const rgb = Buffer.alloc(width * height * 3);
  const source = (x: number, y: number, c: number) =>
    image.rgb[(Math.min(y, image.height - 1) * image.width + Math.min(x, image.width - 1)) * 3 + c]!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const sum =
          source(2 * x, 2 * y, c) +
          source(2 * x + 1, 2 * y, c) +
          source(2 * x, 2 * y + 1, c) +
          source(2 * x + 1, 2 * y + 1, c);
        rgb[(y * width + x) * 3 + c] = Math.round(sum / 4);
      }
    }
  }
  return { width, height, rgb };
}
