import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { resolveSafePath } from './path-guard.ts';
import { statOrThrow } from './text-file.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `List a directory: each entry's name, type (file, directory, symlink, other) and size in bytes for files.
- path defaults to the task's working directory. Directories come first, then files, each sorted by name.
- At most ${TOOL_LIMITS.listDirectoryDefaultEntries} entries unless limit says otherwise (max ${TOOL_LIMITS.listDirectoryMaxEntries}); use glob to find files deeper down.`;

export const ListDirectoryInputSchema = z.object({
  path: z.string().min(1).optional().describe("Directory to list (default: the task's working directory)"),
  limit: z
    .number()
    .int()
    .min(1)
    .max(TOOL_LIMITS.listDirectoryMaxEntries)
    .optional()
    .describe(`Most entries to return (default ${TOOL_LIMITS.listDirectoryDefaultEntries})`),
});

export interface DirectoryEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size?: number;
}

export interface ListDirectoryResult {
  path: string;
  entries: DirectoryEntry[];
  total: number;
  truncated: boolean;
}

export const listDirectoryTool = defineTool<typeof ListDirectoryInputSchema, ListDirectoryResult>({
  name: 'list_directory',
  kind: 'read',
  summary: 'List a directory with entry types and sizes',
  description: DESCRIPTION,
  inputSchema: ListDirectoryInputSchema,
  describe: (input) => `ls ${inputText(input, 'path', '.')}`,
  excerpt: (output) =>
    `${output.path}: ${output.total} entries\n${output.entries.map((entry) => entry.name).join('\n')}`,
  async execute(input, run) {
    const shown = input.path ?? '.';
    const { real } = await resolveSafePath(run.context, shown, 'read');
    const info = await statOrThrow(real, shown);
    if (!info.isDirectory())
      throw new ToolError('not_a_directory', `${shown} is not a directory; use read_file`);
    const dirents = await readdir(real, { withFileTypes: true });
    dirents.sort(byTypeThenName);
    const limit = input.limit ?? TOOL_LIMITS.listDirectoryDefaultEntries;
    const entries = await Promise.all(dirents.slice(0, limit).map((dirent) => describeEntry(real, dirent)));
    return { path: real, entries, total: dirents.length, truncated: dirents.length > limit };
  },
});

function byTypeThenName(a: Dirent, b: Dirent): number {
  const rank = (dirent: Dirent) => (dirent.isDirectory() ? 0 : 1);
  return rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

async function describeEntry(directory: string, dirent: Dirent): Promise<DirectoryEntry> {
  if (dirent.isDirectory()) return { name: dirent.name, type: 'directory' };
  if (dirent.isSymbolicLink()) return { name: dirent.name, type: 'symlink' };
  if (!dirent.isFile()) return { name: dirent.name, type: 'other' };
  const size = await stat(join(directory, dirent.name)).then(
    (info) => info.size,
    () => undefined,
  );
  return { name: dirent.name, type: 'file', size };
}
