import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { resolveSafePath } from './path-guard.ts';
import { assertTextFile } from './text-file.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Read a text file. Returns its content (or the requested line range) and the line numbers shown.
- path is relative to the task's working directory (or absolute, inside the workspace).
- Without a range at most ${TOOL_LIMITS.readFileDefaultLines} lines are returned; read further with startLine/endLine (1-based, inclusive).
- Binary files are refused; inspect them with shell.
- Read a file before editing it with edit_file, so your oldText matches exactly.`;

export const ReadFileInputSchema = z
  .object({
    path: z.string().min(1, 'path must not be empty').describe('File to read'),
    startLine: z.number().int().min(1).optional().describe('First line to return (1-based, default 1)'),
    endLine: z.number().int().min(1).optional().describe('Last line to return (inclusive)'),
  })
  .refine((input) => input.endLine === undefined || input.endLine >= (input.startLine ?? 1), {
    message: 'endLine must not be before startLine',
    path: ['endLine'],
  });
export type ReadFileInput = z.infer<typeof ReadFileInputSchema>;

export interface ReadFileResult {
  path: string;
  startLine: number;
  endLine: number;
  /** Lines in the file; absent for files too large to count cheaply. */
  totalLines?: number;
  content: string;
  note?: string;
}

export const readFileTool = defineTool<typeof ReadFileInputSchema, ReadFileResult>({
  name: 'read_file',
  kind: 'read',
  summary: 'Read a text file or a line range of it',
  description: DESCRIPTION,
  inputSchema: ReadFileInputSchema,
  describe: (input) => {
    const start = inputText(input, 'startLine');
    const end = inputText(input, 'endLine');
    return `read ${inputText(input, 'path')}${start || end ? `:${start || 1}-${end}` : ''}`;
  },
  excerpt: (output) =>
    `${output.path}:${output.startLine}-${output.endLine}\n${output.content.slice(0, 300)}`,
  async execute(input, run) {
    const { real } = await resolveSafePath(run.context, input.path, 'read');
    const size = await assertTextFile(real, input.path, Number.MAX_SAFE_INTEGER);
    const startLine = input.startLine ?? 1;
    const endLine = input.endLine ?? startLine + TOOL_LIMITS.readFileDefaultLines - 1;
    // Small files are read to the end to count their lines; huge logs stop at the range.
    const countAll = size <= TOOL_LIMITS.maxFileBytes;
    const { lines, total } = await readLines(real, startLine, endLine, countAll, run.signal);
    if (lines.length === 0 && total !== undefined && startLine > Math.max(total, 1)) {
      throw new ToolError(
        'invalid_input',
        `startLine ${startLine} is past the end of ${input.path} (${total} lines)`,
      );
    }
    const lastShown = startLine + Math.max(lines.length, 1) - 1;
    const result: ReadFileResult = {
      path: input.path,
      startLine,
      endLine: lastShown,
      totalLines: total,
      content: lines.join('\n'),
    };
    if (input.endLine === undefined && (total === undefined || total > lastShown)) {
      result.note = `Showing lines ${startLine}-${lastShown}${total ? ` of ${total}` : ''}; read more with startLine: ${lastShown + 1}.`;
    }
    return result;
  },
});

async function readLines(path: string, start: number, end: number, countAll: boolean, signal: AbortSignal) {
  const lines: string[] = [];
  let number = 0;
  const stream = createReadStream(path, { encoding: 'utf8', signal });
  const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of reader) {
      number += 1;
      if (number >= start && number <= end) lines.push(line);
      if (number >= end && !countAll) break;
    }
  } finally {
    reader.close();
    stream.destroy();
  }
  return { lines, total: countAll ? number : undefined };
}
