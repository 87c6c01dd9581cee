import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { createToolSet } from './index.ts';
import type { ReadFileResult } from './read-file.ts';

describe('read_file', () => {
  const t = useToolContext();

  it('reads whole files and line ranges', async () => {
    const tools = createToolSet(t.context);
    await writeFile(join(t.workspace, 'lines.txt'), 'one\ntwo\nthree\nfour\n');
    expect(await callTool<ReadFileResult>(tools, 'read_file', { path: 'lines.txt' })).toEqual({
      path: 'lines.txt',
      startLine: 1,
      endLine: 4,
      totalLines: 4,
      content: 'one\ntwo\nthree\nfour',
    });
    expect(
      await callTool<ReadFileResult>(tools, 'read_file', { path: 'lines.txt', startLine: 2, endLine: 3 }),
    ).toMatchObject({
      startLine: 2,
      endLine: 3,
      content: 'two\nthree',
    });
    expect((await callTool(tools, 'read_file', { path: 'lines.txt', startLine: 9 })).error).toMatch(
      /past the end/,
    );
    expect(
      (await callTool(tools, 'read_file', { path: 'lines.txt', startLine: 3, endLine: 2 })).error,
    ).toMatch(/endLine: endLine must not be before startLine/);
  });

  it('pages long files by lines with a note saying how to read on', async () => {
    const tools = createToolSet(t.context);
    const text = Array.from({ length: 2500 }, (_, index) => `line ${index + 1}`).join('\n');
    await writeFile(join(t.workspace, 'long.txt'), text);
    const first = await callTool<ReadFileResult>(tools, 'read_file', { path: 'long.txt' });
    expect(first).toMatchObject({ startLine: 1, endLine: 2000, totalLines: 2500 });
    expect(first.note).toMatch(/startLine: 2001/);
    const rest = await callTool<ReadFileResult>(tools, 'read_file', { path: 'long.txt', startLine: 2001 });
    expect(rest).toMatchObject({ startLine: 2001, endLine: 2500 });
    expect(rest.note).toBeUndefined();
  });

  it('cuts a huge single line and keeps the full text in an artifact', async () => {
    const tools = createToolSet(t.context);
    const huge = 'x'.repeat(100_000);
    await writeFile(join(t.workspace, 'min.js'), huge);
    const result = await callTool<ReadFileResult>(tools, 'read_file', { path: 'min.js' }, 'call_min');
    expect(result.content!.length).toBeLessThanOrEqual(30_000);
    const artifact = join(t.context.artifactsDir, 'read_file-call_min-content.txt');
    expect(result.content).toContain(`70400 of 100000 characters cut. The full text is in ${artifact}`);
    expect(await readFile(artifact, 'utf8')).toBe(huge);
  });

  it('refuses binary files, directories, missing files and paths outside the roots', async () => {
    const tools = createToolSet(t.context);
    await writeFile(
      join(t.workspace, 'image.png'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]),
    );
    expect((await callTool(tools, 'read_file', { path: 'image.png' })).error).toMatch(
      /image.png is a binary file \(11 bytes\)/,
    );
    expect((await callTool(tools, 'read_file', { path: '.' })).error).toMatch(/is a directory/);
    expect((await callTool(tools, 'read_file', { path: 'nope.txt' })).error).toBe('nope.txt does not exist');
    expect((await callTool(tools, 'read_file', { path: '../outside/x' })).error).toMatch(
      /outside the allowed roots/,
    );
    expect((await callTool(tools, 'write_file', { path: '/tmp/escape.txt', content: 'x' })).error).toMatch(
      /outside the allowed roots/,
    );
  });
});
