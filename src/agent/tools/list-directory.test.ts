import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { createToolSet } from './index.ts';
import type { ListDirectoryResult } from './list-directory.ts';

describe('list_directory', () => {
  const t = useToolContext();

  it('lists directories first, then files with sizes, and symlinks as such', async () => {
    await mkdir(join(t.workspace, 'src'));
    await writeFile(join(t.workspace, 'b.txt'), '12345');
    await writeFile(join(t.workspace, 'a.txt'), '');
    await symlink(join(t.workspace, 'a.txt'), join(t.workspace, 'link'));
    const result = await callTool<ListDirectoryResult>(createToolSet(t.context), 'list_directory', {});
    expect(result).toEqual({
      path: t.workspace,
      entries: [
        { name: 'src', type: 'directory' },
        { name: 'a.txt', type: 'file', size: 0 },
        { name: 'b.txt', type: 'file', size: 5 },
        { name: 'link', type: 'symlink' },
      ],
      total: 4,
      truncated: false,
    });
    expect(t.evidence.at(-1)).toMatchObject({ tool: 'list_directory', input: 'ls .', ok: true });
  });

  it('bounds the number of entries', async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, index) => writeFile(join(t.workspace, `f${index}`), '')),
    );
    const result = await callTool<ListDirectoryResult>(createToolSet(t.context), 'list_directory', {
      limit: 10,
    });
    expect(result.entries).toHaveLength(10);
    expect(result).toMatchObject({ total: 30, truncated: true });
    const tooMany = await callTool(createToolSet(t.context), 'list_directory', { limit: 5000 });
    expect(tooMany.error).toMatch(/^Invalid input for list_directory: limit: /);
  });

  it('refuses files, missing paths and paths outside the roots', async () => {
    await writeFile(join(t.workspace, 'file.txt'), 'x');
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'list_directory', { path: 'file.txt' })).error).toMatch(/not a directory/);
    expect((await callTool(tools, 'list_directory', { path: 'missing' })).error).toBe(
      'missing does not exist',
    );
    expect((await callTool(tools, 'list_directory', { path: '..' })).error).toMatch(
      /outside the allowed roots/,
    );
    await symlink(t.outside, join(t.workspace, 'out'));
    expect((await callTool(tools, 'list_directory', { path: 'out' })).error).toMatch(
      /outside the allowed roots/,
    );
  });
});
