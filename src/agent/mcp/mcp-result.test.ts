import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, useTempDirs } from '../../../test/support/temp-dirs.ts';
import { renderToolResult } from './mcp-result.ts';

useTempDirs();

describe('an MCP tool result as the model reads it', () => {
  it('joins text, saves audio and binary resources, names resources and links', async () => {
    const dir = makeTempDir('mcp-result');
    const saved: string[] = [];
    const output = await renderToolResult(
      {
        content: [
          { type: 'text', text: 'Here you go.' },
          { type: 'audio', data: Buffer.from('RIFF-audio').toString('base64'), mimeType: 'audio/wav' },
          {
            type: 'resource',
            resource: { uri: 'file:///report.txt', mimeType: 'text/plain', text: 'all good' },
          },
          {
            type: 'resource',
            resource: { uri: 'file:///data.bin', blob: Buffer.from([1, 2, 3]).toString('base64') },
          },
          {
            type: 'resource_link',
            uri: 'file:///big.csv',
            name: 'big.csv',
            mimeType: 'text/csv',
            description: 'the rows',
          },
        ],
      },
      { artifactsDir: dir, filePrefix: 'mcp-s-call_1', onSaved: (blob) => saved.push(blob.path) },
    );
    const audio = join(dir, 'mcp-s-call_1-2.wav');
    const blob = join(dir, 'mcp-s-call_1-4.bin');
    expect(output).toEqual({
      content: [
        'Here you go.',
        `[audio audio/wav, 10 bytes saved to ${audio}]`,
        '[resource file:///report.txt (text/plain)]\nall good',
        `[resource file:///data.bin, 3 bytes saved to ${blob}]`,
        '[resource link big.csv: file:///big.csv (text/csv): the rows]',
      ].join('\n\n'),
    });
    expect(readFileSync(audio, 'utf8')).toBe('RIFF-audio');
    expect(saved).toEqual([audio, blob]);
  });

  it('passes structured content on, and shows it as the text when there is no other', async () => {
    const dir = makeTempDir('mcp-result');
    expect(
      await renderToolResult(
        { content: [], structuredContent: { temperature: 21 } },
        { artifactsDir: dir, filePrefix: 'p' },
      ),
    ).toEqual({
      content: '{"temperature":21}',
      structuredContent: { temperature: 21 },
    });
  });
});
