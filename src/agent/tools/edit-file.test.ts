import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import type { EditFileResult } from './edit-file.ts';
import { createToolSet } from './index.ts';
import { sha256 } from './text-file.ts';

describe('edit_file', () => {
  const t = useToolContext();

  it('edits by exact search/replace and records the new hash', async () => {
    const tools = createToolSet(t.context);
    const path = join(t.workspace, 'code.ts');
    await writeFile(path, 'const a = 1;\nconst b = 2;\n');
    const result = await callTool<EditFileResult>(
      tools,
      'edit_file',
      { path: 'code.ts', oldText: 'b = 2', newText: 'b = $&3' },
      'call_e',
    );
    const updated = 'const a = 1;\nconst b = $&3;\n';
    expect(await readFile(path, 'utf8')).toBe(updated);
    expect(result).toEqual({
      path,
      replacements: 1,
      bytes: Buffer.byteLength(updated),
      sha256: sha256(updated),
    });
    expect(t.evidence[0]).toEqual({
      kind: 'file',
      toolCallId: 'call_e',
      path,
      sha256: sha256(updated),
      bytes: updated.length,
    });
  });

  it('explains not-found and not-unique edits and changes nothing', async () => {
    const tools = createToolSet(t.context);
    const path = join(t.workspace, 'dup.txt');
    const original = 'x = 1\ny = 2\nx = 1\n  indented  line\n';
    await writeFile(path, original);
    const notFound = await callTool(tools, 'edit_file', {
      path: 'dup.txt',
      oldText: 'z = 9',
      newText: 'z = 0',
    });
    expect(notFound.error).toMatch(/^oldText was not found in dup.txt\. Read the file/);
    const whitespace = await callTool(tools, 'edit_file', {
      path: 'dup.txt',
      oldText: 'indented line',
      newText: 'x',
    });
    expect(whitespace.error).toMatch(/different whitespace or indentation/);
    const notUnique = await callTool(tools, 'edit_file', {
      path: 'dup.txt',
      oldText: 'x = 1',
      newText: 'x = 2',
    });
    expect(notUnique.error).toBe(
      'oldText occurs 2 times in dup.txt (at lines 1, 3); include more surrounding text to make it unique, or set replaceAll: true',
    );
    expect(await readFile(path, 'utf8')).toBe(original);
    const all = await callTool<EditFileResult>(tools, 'edit_file', {
      path: 'dup.txt',
      oldText: 'x = 1',
      newText: 'x = 2',
      replaceAll: true,
    });
    expect(all.replacements).toBe(2);
    expect(await readFile(path, 'utf8')).toBe('x = 2\ny = 2\nx = 2\n  indented  line\n');
  });

  it('hints at CRLF line endings', async () => {
    const tools = createToolSet(t.context);
    await writeFile(join(t.workspace, 'win.txt'), 'a\r\nb\r\n');
    const result = await callTool(tools, 'edit_file', { path: 'win.txt', oldText: 'a\nb', newText: 'c' });
    expect(result.error).toMatch(/CRLF/);
  });

  it('answers malformed edit and write input with errors naming the field', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'edit_file', { path: 'a', oldText: '', newText: 'x' })).error).toMatch(
      /oldText: oldText must not be empty/,
    );
    expect((await callTool(tools, 'edit_file', { path: 'a', oldText: 'x', newText: 'x' })).error).toMatch(
      /newText: /,
    );
    expect((await callTool(tools, 'write_file', { path: 'a' })).error).toMatch(
      /^Invalid input for write_file: content: /,
    );
    expect((await callTool(tools, 'read_file', {})).error).toMatch(/path: /);
    expect((await callTool(tools, 'read_file', { path: 'a', startLine: 0 })).error).toMatch(/startLine: /);
  });
});
