import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TOOL_LIMITS } from './tool-limits.ts';

/** Which part of a long text the model sees: the start (files, pages) or start and end (command output). */
export type TruncateMode = 'head' | 'head-tail';

export interface BoundOptions {
  artifactsDir: string;
  /** Names the artifact: `<tool>-<toolCallId>-<field>.txt`. */
  tool: string;
  toolCallId: string;
  mode: TruncateMode;
  maxChars?: number;
}

/** The note put where text was cut; the model reads the full text from the artifact by line range. */
export function truncationNote(
  cut: number,
  total: number,
  artifactPath: string,
  unit = 'characters',
): string {
  return (
    `\n\n[... output truncated: ${cut} of ${total} ${unit} cut. ` +
    `The full text is in ${artifactPath} (read it with read_file and a line range, or grep it) ...]\n\n`
  );
}

export function artifactPathFor(
  options: Pick<BoundOptions, 'artifactsDir' | 'tool' | 'toolCallId'>,
  field: string,
) {
  const safe = (value: string) => value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return join(options.artifactsDir, `${safe(options.tool)}-${safe(options.toolCallId)}-${safe(field)}.txt`);
}

/** Cuts `text` to the limit, keeping the full text in an artifact; short text is returned as is. */
export async function boundText(text: string, field: string, options: BoundOptions): Promise<string> {
  const maxChars = options.maxChars ?? TOOL_LIMITS.maxOutputChars;
  if (text.length <= maxChars) return text;
  const artifactPath = artifactPathFor(options, field);
  await mkdir(options.artifactsDir, { recursive: true });
  await writeFile(artifactPath, text);
  const keep = maxChars - 400; // room for the note
  const head = options.mode === 'head' ? keep : Math.ceil(keep / 2);
  const tail = options.mode === 'head' ? 0 : keep - head;
  const note = truncationNote(text.length - head - tail, text.length, artifactPath);
  return text.slice(0, head) + note + (tail > 0 ? text.slice(-tail) : '');
}

/**
 * Bounds a tool result: every long top-level string is cut (full text kept as an artifact), and a
 * result still too large as JSON (a huge structure) is replaced by its start plus the artifact.
 */
export async function boundResult(result: object, options: BoundOptions): Promise<object> {
  const bounded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    bounded[key] = typeof value === 'string' ? await boundText(value, key, options) : value;
  }
  const json = JSON.stringify(bounded);
  if (json.length <= TOOL_LIMITS.maxResultChars) return bounded;
  const text = await boundText(json, 'result', {
    ...options,
    mode: 'head',
    maxChars: TOOL_LIMITS.maxOutputChars,
  });
  return { truncatedResult: text };
}
