import { describe, expect, it } from 'vitest';
import { SseTextParser } from './sse-text-parser.ts';

const event = (chunk: Record<string, unknown>) => `data: ${JSON.stringify(chunk)}\n\n`;
const delta = (text: string) => ({ type: 'text-delta', id: 't', delta: text });

/** Feeds each text in turn; returns everything parsed. */
function parse(texts: string[], parser = new SseTextParser()) {
  return texts.flatMap((text) => parser.push(text));
}

describe('SseTextParser', () => {
  it('reads several events from one chunk', () => {
    expect(parse([`${event({ type: 'start' })}${event(delta('a'))}${event({ type: 'finish' })}`])).toEqual([
      { chunk: { type: 'start' } },
      { chunk: delta('a') },
      { chunk: { type: 'finish' } },
    ]);
  });

  it('joins an event cut across chunks, wherever the cut falls', () => {
    const text = `${event(delta('one "two" ünï'))}${event(delta('three'))}`;
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseTextParser();
      const parsed = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(parsed, `cut at ${cut}`).toEqual([{ chunk: delta('one "two" ünï') }, { chunk: delta('three') }]);
      expect(parser.pending).toBe(false);
    }
    // One character at a time.
    expect(parse([...text])).toEqual([{ chunk: delta('one "two" ünï') }, { chunk: delta('three') }]);
  });

  it('takes CRLF and CR line ends, also a CRLF cut between its CR and LF', () => {
    const json = JSON.stringify(delta('x'));
    expect(parse([`data: ${json}\r\n\r\ndata: ${json}\r\rdata: ${json}\n\n`])).toHaveLength(3);
    // An event of two data lines: the LF after a chunk's final CR ends nothing more.
    expect(parse(['data: {"type":"text-delta",\r', '\ndata: "id":"t","delta":"y"}\r\n\r\n'])).toEqual([
      { chunk: { type: 'text-delta', id: 't', delta: 'y' } },
    ]);
  });

  it('ignores comments, other fields and [DONE]; joins data lines with a newline', () => {
    const text = [
      ': keep-alive',
      'event: message',
      'id: 7',
      'retry: 1000',
      'data:{"type":"text-delta","id":"t",',
      'data: "delta":"a"}',
      'unknown-field: x',
      '',
      'data: [DONE]',
      '',
      '',
      '',
      '',
    ].join('\n');
    expect(parse([text])).toEqual([{ chunk: delta('a') }]);
  });

  it('refuses an event that is not JSON, too deep, or not a UI chunk, and carries on', () => {
    const deep = `${'['.repeat(600)}${']'.repeat(600)}`;
    const parsed = parse([
      `data: {nope\n\ndata: {"no":"type"}\n\ndata: {"type":"x","v":${deep}}\n\n${event(delta('after'))}`,
    ]);
    expect(parsed).toHaveLength(4);
    expect(parsed[0]).toEqual({ refused: 'an SSE event whose data is not JSON was dropped' });
    expect(parsed[1]).toMatchObject({ refused: expect.stringContaining('not a UI message chunk') });
    expect(parsed[2]).toMatchObject({ refused: expect.stringContaining('nested deeper than 512') });
    expect(parsed[3]).toEqual({ chunk: delta('after') });
  });

  it('holds at most maxChars of an event: a longer one is refused once and skipped to its end', () => {
    const parser = new SseTextParser(100);
    const long = `data: ${JSON.stringify(delta('x'.repeat(200)))}\n\n`;
    const parsed = parse(
      [long.slice(0, 60), long.slice(60, 150), long.slice(150), event(delta('next'))],
      parser,
    );
    expect(parsed).toEqual([
      { refused: 'an SSE event longer than 100 characters was dropped' },
      { chunk: delta('next') },
    ]);
    // Many short data lines add up the same way.
    const lines = `${'data: 0123456789\n'.repeat(20)}\n${event(delta('again'))}`;
    expect(parse([lines], parser)).toEqual([
      { refused: 'an SSE event longer than 100 characters was dropped' },
      { chunk: delta('again') },
    ]);
    expect(parser.pending).toBe(false);
  });
});
