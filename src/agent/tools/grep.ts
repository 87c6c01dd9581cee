import { readFile, stat } from 'node:fs/promises';
import { basename, matchesGlob, relative } from 'node:path';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { resolveSafePath } from './path-guard.ts';
import { looksBinary, statOrThrow } from './text-file.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';
import { walkFiles } from './walk-files.ts';

const DESCRIPTION = `Search file contents with a regular expression (JavaScript syntax). Returns matching lines as "file:line: text".
- path is a directory (searched recursively) or a single file; default: the task's working directory.
- include filters files by glob, e.g. "*.ts" or "src/**/*.md".
- Binary files, files over ${TOOL_LIMITS.grepMaxFileBytes / 1024 / 1024} MB, node_modules and .git are skipped. Lines are cut to ${TOOL_LIMITS.grepMaxLineChars} characters.
- At most ${TOOL_LIMITS.grepDefaultMatches} matches unless limit says otherwise (max ${TOOL_LIMITS.grepMaxMatches}).`;

export const GrepInputSchema = z.object({
  pattern: z.string().min(1, 'pattern must not be empty').describe('Regular expression to search for'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe("Directory or file to search (default: the task's working directory)"),
  include: z.string().min(1).optional().describe('Only search files matching this glob'),
  ignoreCase: z.boolean().optional().describe('Case-insensitive search'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(TOOL_LIMITS.grepMaxMatches)
    .optional()
    .describe('Most matching lines to return'),
});
export type GrepInput = z.infer<typeof GrepInputSchema>;

export interface GrepResult {
  root: string;
  count: number;
  filesSearched: number;
  truncated: boolean;
  /** One match per line: `file:line: text`, file relative to root. */
  matches: string;
}

/** Lines longer than this are searched only up to here: bounds the cost of a pathological regex. */
const MAX_SEARCHED_LINE_CHARS = 20_000;

export const grepTool = defineTool<typeof GrepInputSchema, GrepResult>({
  name: 'grep',
  kind: 'read',
  summary: 'Regex search over files (file:line: matches)',
  description: DESCRIPTION,
  inputSchema: GrepInputSchema,
  describe: (input) => `grep /${inputText(input, 'pattern')}/ in ${inputText(input, 'path', '.')}`,
  excerpt: (output) => `${output.count} matches in ${output.filesSearched} files\n${output.matches}`,
  async execute(input, run) {
    const regex = compile(input);
    const shown = input.path ?? '.';
    const { real } = await resolveSafePath(run.context, shown, 'read');
    const isDirectory = (await statOrThrow(real, shown)).isDirectory();
    const root = isDirectory ? real : undefined;
    const files = isDirectory ? walkFiles(real, run.signal, run.context.hiddenPaths) : single(real);
    const limit = input.limit ?? TOOL_LIMITS.grepDefaultMatches;
    const matches: string[] = [];
    let filesSearched = 0;
    let truncated = false;
    for await (const file of files) {
      const shownFile = root ? relative(root, file) : shown;
      if (
        input.include &&
        !matchesGlob(shownFile, input.include) &&
        !matchesGlob(basename(file), input.include)
      ) {
        continue;
      }
      const lines = await searchableLines(file);
      if (!lines) continue;
      filesSearched += 1;
      for (let index = 0; index < lines.length; index += 1) {
        const line = lines[index]!;
        if (
          !regex.test(line.length > MAX_SEARCHED_LINE_CHARS ? line.slice(0, MAX_SEARCHED_LINE_CHARS) : line)
        )
          continue;
        if (matches.length === limit) {
          truncated = true;
          break;
        }
        matches.push(`${shownFile}:${index + 1}: ${cut(line.trim())}`);
      }
      if (truncated) break;
    }
    return {
      root: root ?? real,
      count: matches.length,
      filesSearched,
      truncated,
      matches: matches.join('\n'),
    };
  },
});

function compile(input: GrepInput): RegExp {
  try {
    return new RegExp(input.pattern, input.ignoreCase ? 'iu' : 'u');
  } catch {
    try {
      // Many patterns written for grep are valid without the unicode flag (e.g. "\-").
      return new RegExp(input.pattern, input.ignoreCase ? 'i' : '');
    } catch (error) {
      throw new ToolError(
        'invalid_input',
        `pattern is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  }
}

async function* single(path: string): AsyncGenerator<string> {
  yield path;
}

/** The file's lines, or undefined for files grep skips (binary, too large, unreadable). */
async function searchableLines(file: string): Promise<string[] | undefined> {
  try {
    if ((await stat(file)).size > TOOL_LIMITS.grepMaxFileBytes) return undefined;
    const content = await readFile(file);
    if (looksBinary(content.subarray(0, 8192))) return undefined;
    return content.toString('utf8').split(/\r?\n/);
  } catch {
    return undefined;
  }
}

function cut(line: string): string {
  const max = TOOL_LIMITS.grepMaxLineChars;
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
