import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { resolveSafePath } from './path-guard.ts';
import { assertTextFile } from './text-file.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Edit a text file by exact search and replace: oldText is replaced by newText.
- oldText must match the file exactly, including whitespace and indentation; read the file first.
- oldText must occur exactly once, unless replaceAll is true. If it occurs several times, include more surrounding lines to make it unique.
- To create a file or rewrite it completely, use write_file.`;

export const EditFileInputSchema = z
  .object({
    path: z.string().min(1, 'path must not be empty').describe('File to edit'),
    oldText: z.string().min(1, 'oldText must not be empty').describe('Exact text to find'),
    newText: z.string().describe('Text to put in its place'),
    replaceAll: z.boolean().optional().describe('Replace every occurrence (default: exactly one must exist)'),
  })
  .refine((input) => input.oldText !== input.newText, {
    message: 'newText is the same as oldText; nothing would change',
    path: ['newText'],
  });
export type EditFileInput = z.infer<typeof EditFileInputSchema>;

export interface EditFileResult {
  path: string;
  replacements: number;
  bytes: number;
  sha256: string;
}

export const editFileTool = defineTool<typeof EditFileInputSchema, EditFileResult>({
  name: 'edit_file',
  kind: 'write',
  summary: 'Exact search/replace in a text file',
  description: DESCRIPTION,
  inputSchema: EditFileInputSchema,
  describe: (input) =>
    `edit ${inputText(input, 'path')}${input.replaceAll === true ? ' (all occurrences)' : ''}`,
  async execute(input, run) {
    const { real } = await resolveSafePath(run.context, input.path);
    await assertTextFile(real, input.path, TOOL_LIMITS.maxFileBytes);
    const original = await readFile(real, 'utf8');
    const lines = occurrenceLines(original, input.oldText);
    if (lines.length === 0) throw notFound(input.path, original, input.oldText);
    if (lines.length > 1 && !input.replaceAll) {
      throw new ToolError(
        'not_unique',
        `oldText occurs ${lines.length} times in ${input.path} (at lines ${lines.slice(0, 10).join(', ')}); ` +
          'include more surrounding text to make it unique, or set replaceAll: true',
      );
    }
    const updated = original.split(input.oldText).join(input.newText);
    await writeFile(real, updated, { signal: run.signal });
    const fact = run.recordFile(real, updated);
    return { path: real, replacements: lines.length, ...fact };
  },
});

/** Line numbers (1-based) where each non-overlapping occurrence of `text` starts. */
function occurrenceLines(content: string, text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let scanned = 0;
  for (let index = content.indexOf(text); index !== -1; index = content.indexOf(text, index + text.length)) {
    line += countNewlines(content, scanned, index);
    scanned = index;
    lines.push(line);
  }
  return lines;
}

function countNewlines(content: string, from: number, to: number): number {
  let count = 0;
  for (
    let index = content.indexOf('\n', from);
    index !== -1 && index < to;
    index = content.indexOf('\n', index + 1)
  ) {
    count += 1;
  }
  return count;
}

/** Says why nothing matched when a near miss explains it (line endings, indentation). */
function notFound(path: string, content: string, oldText: string): ToolError {
  let hint = 'Read the file and copy the text exactly, including whitespace and indentation.';
  if (
    content.includes('\r\n') &&
    !oldText.includes('\r\n') &&
    content.includes(oldText.replace(/\n/g, '\r\n'))
  ) {
    hint = 'The file uses CRLF line endings; use \\r\\n in oldText.';
  } else if (collapse(content).includes(collapse(oldText))) {
    hint = 'The text exists with different whitespace or indentation; read the file and copy it exactly.';
  }
  return new ToolError('not_found', `oldText was not found in ${path}. ${hint}`);
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
