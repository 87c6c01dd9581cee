import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import type { GlobResult } from './glob.ts';
import { createToolSet } from './index.ts';

async function touch(root: string, ...paths: string[]) {
  for (const path of paths) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), '');
  }
}

describe('glob', () => {
  const t = useToolContext();
  beforeEach(async () => {
    await touch(
      t.workspace,
      'a.ts',
      'src/b.ts',
      'src/deep/c.ts',
      'src/d.md',
      'node_modules/pkg/e.ts',
      '.git/f.ts',
    );
  });

  it('matches recursively, skipping node_modules and .git', async () => {
    const result = await callTool<GlobResult>(createToolSet(t.context), 'glob', { pattern: '**/*.ts' });
    expect(result).toEqual({
      root: t.workspace,
      count: 3,
      truncated: false,
      matches: 'a.ts\nsrc/b.ts\nsrc/deep/c.ts',
    });
  });

  it('searches under a path and includes node_modules when the pattern names it', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool<GlobResult>(tools, 'glob', { pattern: '*', path: 'src' })).matches).toBe(
      'b.ts\nd.md\ndeep/',
    );
    expect((await callTool<GlobResult>(tools, 'glob', { pattern: 'node_modules/**/*.ts' })).matches).toBe(
      'node_modules/pkg/e.ts',
    );
  });

  it('bounds the number of matches', async () => {
    const result = await callTool<GlobResult>(createToolSet(t.context), 'glob', {
      pattern: '**/*',
      limit: 2,
    });
    expect(result).toMatchObject({ count: 2, truncated: true });
  });

  it('refuses patterns and paths that leave the roots', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'glob', { pattern: '../outside/*' })).error).toMatch(
      /pattern: pattern must not contain/,
    );
    expect((await callTool(tools, 'glob', { pattern: '/etc/*' })).error).toMatch(
      /pattern: pattern must be relative/,
    );
    expect((await callTool(tools, 'glob', { pattern: '*', path: '../outside' })).error).toMatch(
      /outside the allowed roots/,
    );
    expect((await callTool(tools, 'glob', { pattern: 7 })).error).toMatch(
      /^Invalid input for glob: pattern: /,
    );
  });
});
