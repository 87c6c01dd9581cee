import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkRenderer } from './chunk-renderer.ts';

describe('the terminal view of a task', () => {
  it('says which MCP server a task could not use, and why', () => {
    const out = new PassThrough();
    const err = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let written = '';
    err.on('data', (chunk: Buffer) => {
      written += chunk.toString();
    });
    const renderer = new ChunkRenderer({ out, err });
    renderer.render({
      type: 'data-mcp-server',
      id: 'mcp-server-github',
      data: { name: 'github', state: 'failed', reason: 'it did not answer initialize within 30000 ms' },
    });
    expect(written).toContain(
      'MCP server github is not available: it did not answer initialize within 30000 ms',
    );
  });
});
