import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import type { GrepResult } from './grep.ts';
import { createToolSet } from './index.ts';

describe('grep', () => {
  const t = useToolContext();
  beforeEach(async () => {
    await mkdir(join(t.workspace, 'src/lib'), { recursive: true });
    await mkdir(join(t.workspace, 'node_modules/pkg'), { recursive: true });
    await writeFile(join(t.workspace, 'src/a.ts'), 'export const TODO = 1;\n// todo: lower case\n');
    await writeFile(join(t.workspace, 'src/lib/b.md'), 'intro\nTODO write docs\n');
    await writeFile(join(t.workspace, 'node_modules/pkg/c.ts'), 'TODO in a dependency\n');
    await writeFile(join(t.workspace, 'blob.bin'), Buffer.from([0x54, 0x4f, 0x44, 0x4f, 0, 1, 2]));
    await writeFile(join(t.outside, 'secret.txt'), 'TODO outside\n');
    await symlink(t.outside, join(t.workspace, 'outlink'));
  });

  it('finds matches as file:line: text, skipping binaries, node_modules and symlinked folders', async () => {
    const result = await callTool<GrepResult>(createToolSet(t.context), 'grep', { pattern: 'TODO' });
    expect(result).toEqual({
      root: t.workspace,
      count: 2,
      filesSearched: 2,
      truncated: false,
      matches: 'src/a.ts:1: export const TODO = 1;\nsrc/lib/b.md:2: TODO write docs',
    });
  });

  it('filters by include glob, ignores case, and searches a single file', async () => {
    const tools = createToolSet(t.context);
    const ts = await callTool<GrepResult>(tools, 'grep', {
      pattern: 'todo',
      include: '*.ts',
      ignoreCase: true,
    });
    expect(ts.matches).toBe('src/a.ts:1: export const TODO = 1;\nsrc/a.ts:2: // todo: lower case');
    const single = await callTool<GrepResult>(tools, 'grep', { pattern: '^intro$', path: 'src/lib/b.md' });
    expect(single.matches).toBe('src/lib/b.md:1: intro');
  });

  it('bounds matches and cuts long lines; huge outputs keep the full text in an artifact', async () => {
    const long = Array.from({ length: 1000 }, (_, index) => `match ${index} ${'y'.repeat(400)}`).join('\n');
    await writeFile(join(t.workspace, 'many.txt'), long);
    const tools = createToolSet(t.context);
    const limited = await callTool<GrepResult>(tools, 'grep', { pattern: '^match', limit: 5 });
    expect(limited).toMatchObject({ count: 5, truncated: true });
    expect(limited.matches!.split('\n')[0]).toMatch(/^many.txt:1: match 0 y+…$/);
    const big = await callTool<GrepResult>(tools, 'grep', { pattern: '^match', limit: 1000 }, 'call_grep');
    expect(big.count).toBe(1000);
    expect(big.matches).toMatch(/The full text is in .*grep-call_grep-matches\.txt/);
  });

  it('explains invalid regular expressions and paths outside the roots', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'grep', { pattern: '(' })).error).toMatch(/not a valid regular expression/);
    expect((await callTool(tools, 'grep', { pattern: 'x', path: 'outlink' })).error).toMatch(
      /outside the allowed roots/,
    );
    expect((await callTool(tools, 'grep', { pattern: 'x', limit: 0 })).error).toMatch(/limit: /);
  });
});
