import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { createToolSet } from './index.ts';
import type { SaveArtifactResult } from './save-artifact.ts';
import { sha256 } from './text-file.ts';

describe('save_artifact', () => {
  const t = useToolContext();

  it('writes the artifact, streams a data-artifact part and records file evidence', async () => {
    const content = '# Summary\n\nAll good.\n';
    const result = await callTool<SaveArtifactResult>(
      createToolSet(t.context),
      'save_artifact',
      { name: 'summary.md', content },
      'call_s',
    );
    const path = join(t.context.artifactsDir, 'summary.md');
    const fact = { bytes: Buffer.byteLength(content), sha256: sha256(content) };
    expect(result).toEqual({ name: 'summary.md', path, ...fact });
    expect(await readFile(path, 'utf8')).toBe(content);
    expect(t.data).toEqual([
      {
        type: 'data-artifact',
        id: 'summary.md',
        data: { name: 'summary.md', path, mediaType: 'text/markdown', ...fact },
      },
    ]);
    expect(t.evidence[0]).toEqual({ kind: 'file', toolCallId: 'call_s', path, ...fact });
  });

  it('refuses names that are paths', async () => {
    const tools = createToolSet(t.context);
    for (const name of ['../escape.md', 'a/b.md', '.hidden', '', 'x'.repeat(101)]) {
      const result = await callTool(tools, 'save_artifact', { name, content: 'x' });
      expect(result.error).toMatch(/^Invalid input for save_artifact: name: name must be a plain file name/);
    }
    expect(t.data).toEqual([]);
  });
});
