// Precompresses the built board (web/build) once, at build time: next to every text file worth it
// (scripts, styles, the page, SVG, JSON) a brotli `.br` and a gzip `.gz` at the highest levels,
// which the gateway serves by Accept-Encoding (src/gateway/board/static-board.ts) without
// compressing anything per request. A variant that saves too little is not written.
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const BUILD_DIR = join(fileURLToPath(new URL('..', import.meta.url)), 'build');

/** The extensions compressed, as the gateway's COMPRESSIBLE (images and fonts are compressed already). */
export const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt', '.webmanifest']);
/** Smaller files are sent as they are: a few hundred bytes gain nothing worth a variant. */
export const MIN_BYTES = 1024;
/** A variant is kept only when it is at most this share of the original. */
export const MAX_RATIO = 0.9;

export const ENCODINGS = [
  {
    suffix: '.br',
    compress: (data: Buffer) =>
      brotliCompressSync(data, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        },
      }),
  },
  { suffix: '.gz', compress: (data: Buffer) => gzipSync(data, { level: constants.Z_BEST_COMPRESSION }) },
] as const;

export interface CompressSummary {
  files: number;
  bytes: number;
  brotliBytes: number;
  gzipBytes: number;
}

function filesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Writes the `.br` and `.gz` of every file under `dir` worth compressing; returns the totals. */
export function compressBuild(dir: string = BUILD_DIR): CompressSummary {
  const summary: CompressSummary = { files: 0, bytes: 0, brotliBytes: 0, gzipBytes: 0 };
  for (const file of filesUnder(dir)) {
    if (!COMPRESSIBLE.has(extname(file))) continue;
    const data = readFileSync(file);
    if (data.length < MIN_BYTES) continue;
    summary.files += 1;
    summary.bytes += data.length;
    for (const { suffix, compress } of ENCODINGS) {
      const compressed = compress(data);
      const worth = compressed.length <= data.length * MAX_RATIO;
      if (worth) {
        // Written aside and renamed into place: a gateway serving the build meanwhile never reads
        // half a file (and a browser would keep a broken immutable script for a year).
        const aside = `${file}${suffix}.${process.pid}.tmp`;
        writeFileSync(aside, compressed);
        renameSync(aside, file + suffix);
      } else rmSync(file + suffix, { force: true });
      const size = worth ? compressed.length : data.length;
      if (suffix === '.br') summary.brotliBytes += size;
      else summary.gzipBytes += size;
    }
  }
  return summary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? BUILD_DIR;
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`no board build at ${dir}\n`);
    process.exit(1);
  }
  const { files, bytes, brotliBytes, gzipBytes } = compressBuild(dir);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(
    `compressed ${files} files of the board: ${kb(bytes)} -> ${kb(brotliBytes)} brotli, ${kb(gzipBytes)} gzip\n`,
  );
}
