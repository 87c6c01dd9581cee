import { glob } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { resolveSafePath } from './path-guard.ts';
import { statOrThrow } from './text-file.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';
import { SKIPPED_DIRECTORIES } from './walk-files.ts';

const DESCRIPTION = `Find files by glob pattern, e.g. "**/*.ts", "src/**/*.test.ts", "*.{json,md}".
- The pattern is matched against paths relative to path (default: the task's working directory); matches are returned relative to it, one per line, directories with a trailing "/".
- node_modules and .git are skipped unless the pattern names them. Symbolic links to directories are not followed.
- At most ${TOOL_LIMITS.globDefaultMatches} matches unless limit says otherwise (max ${TOOL_LIMITS.globMaxMatches}).`;

export const GlobInputSchema = z.object({
  pattern: z
    .string()
    .min(1, 'pattern must not be empty')
    .refine((pattern) => !isAbsolute(pattern), 'pattern must be relative; put the directory in path')
    .refine(
      (pattern) => !pattern.split(/[\\/]/).includes('..'),
      'pattern must not contain ".."; set path instead',
    )
    .describe('Glob pattern, relative to path'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe("Directory to search from (default: the task's working directory)"),
  limit: z
    .number()
    .int()
    .min(1)
    .max(TOOL_LIMITS.globMaxMatches)
    .optional()
    .describe('Most matches to return'),
});

export interface GlobResult {
  root: string;
  count: number;
  truncated: boolean;
  /** One path per line, relative to root. */
  matches: string;
}

export const globTool = defineTool<typeof GlobInputSchema, GlobResult>({
  name: 'glob',
  kind: 'read',
  summary: 'Find files by glob pattern',
  description: DESCRIPTION,
  inputSchema: GlobInputSchema,
  describe: (input) =>
    `glob ${inputText(input, 'pattern')}${input.path ? ` in ${inputText(input, 'path')}` : ''}`,
  excerpt: (output) => `${output.count} matches${output.truncated ? ' (truncated)' : ''}\n${output.matches}`,
  async execute(input, run) {
    const shown = input.path ?? '.';
    const { real: root } = await resolveSafePath(run.context, shown, 'read');
    if (!(await statOrThrow(root, shown)).isDirectory()) {
      throw new ToolError('not_a_directory', `${shown} is not a directory`);
    }
    const limit = input.limit ?? TOOL_LIMITS.globDefaultMatches;
    const namesSkipped = [...SKIPPED_DIRECTORIES].filter((name) => !input.pattern.includes(name));
    const matches: string[] = [];
    let truncated = false;
    const iterator = glob(input.pattern, {
      cwd: root,
      withFileTypes: true,
      exclude: (dirent) =>
        dirent.isDirectory() &&
        (namesSkipped.includes(dirent.name) ||
          run.context.hiddenPaths.includes(join(dirent.parentPath, dirent.name))),
    });
    for await (const dirent of iterator) {
      run.signal.throwIfAborted();
      if (matches.length === limit) {
        truncated = true;
        break;
      }
      const path = relative(root, join(dirent.parentPath, dirent.name)) || '.';
      matches.push(dirent.isDirectory() ? `${path}/` : path);
    }
    matches.sort();
    return { root, count: matches.length, truncated, matches: matches.join('\n') };
  },
});
