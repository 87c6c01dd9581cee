import { execFileSync } from 'node:child_process';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { createToolSet } from './index.ts';
import { sha256 } from './text-file.ts';
import type { WriteFileResult } from './write-file.ts';

describe('write_file', () => {
  const t = useToolContext();

  it('writes a file with parents and records file evidence', async () => {
    const tools = createToolSet(t.context);
    const result = await callTool<WriteFileResult>(
      tools,
      'write_file',
      { path: 'a/b/c.txt', content: 'héllo\n' },
      'call_w',
    );
    const path = join(t.workspace, 'a/b/c.txt');
    expect(result).toEqual({ path, created: true, bytes: 7, sha256: sha256('héllo\n') });
    expect(await readFile(path, 'utf8')).toBe('héllo\n');
    expect(t.evidence).toEqual([
      { kind: 'file', toolCallId: 'call_w', path, sha256: sha256('héllo\n'), bytes: 7 },
      expect.objectContaining({
        kind: 'tool-call',
        tool: 'write_file',
        input: 'write a/b/c.txt (7 bytes)',
        ok: true,
      }),
    ]);
    expect(
      (await callTool<WriteFileResult>(tools, 'write_file', { path: 'a/b/c.txt', content: '' })).created,
    ).toBe(false);
  });

  it('refuses to write or read through a symlink that escapes', async () => {
    const tools = createToolSet(t.context);
    await writeFile(join(t.outside, 'target.txt'), 'original');
    await symlink(join(t.outside, 'target.txt'), join(t.workspace, 'escape.txt'));
    expect((await callTool(tools, 'write_file', { path: 'escape.txt', content: 'pwned' })).error).toMatch(
      /outside/,
    );
    expect((await callTool(tools, 'read_file', { path: 'escape.txt' })).error).toMatch(/outside/);
    expect(
      (await callTool(tools, 'edit_file', { path: 'escape.txt', oldText: 'original', newText: 'x' })).error,
    ).toMatch(/outside/);
    expect(await readFile(join(t.outside, 'target.txt'), 'utf8')).toBe('original');
  });

  it('refuses to replace a directory or a FIFO', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'write_file', { path: '.', content: 'x' })).error).toBe('. is a directory');
    execFileSync('mkfifo', [join(t.workspace, 'pipe')]);
    expect((await callTool(tools, 'write_file', { path: 'pipe', content: 'x' })).error).toBe(
      'pipe is not a regular file',
    );
    expect((await callTool(tools, 'read_file', { path: 'pipe' })).error).toBe('pipe is not a regular file');
  });
});
