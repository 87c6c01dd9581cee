import { describe, expect, it } from 'vitest';
import { MAX_TERMINAL_OUTPUT_BYTES } from '../../protocol/index.ts';
import { completeUtf8Length, PaneOutput } from './pane-output.ts';

const strict = new TextDecoder('utf-8', { fatal: true });

function collect() {
  const sent: Buffer[] = [];
  const output = new PaneOutput((data) => sent.push(Buffer.from(data)));
  return { sent, output };
}

describe('PaneOutput', () => {
  it('sends each push at once, holding back only a character whose rest is still to come', () => {
    const { sent, output } = collect();
    const euro = Buffer.from('€'); // e2 82 ac
    const smile = Buffer.from('😀'); // f0 9f 98 80
    output.push(Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]));
    output.push(Buffer.concat([euro.subarray(1, 2)]));
    output.push(Buffer.concat([euro.subarray(2), Buffer.from('b'), smile.subarray(0, 3)]));
    output.push(Buffer.concat([smile.subarray(3), Buffer.from('\x1b[0m')]));
    expect(sent.map((data) => data.toString('utf8'))).toEqual(['a', '€b', '😀\x1b[0m']);
    for (const data of sent) expect(() => strict.decode(data)).not.toThrow();
  });

  it('cuts a large push into messages of at most 64 KiB, never inside a character', () => {
    const { sent, output } = collect();
    const text = `x${'é€😀\\\x1b[1m'.repeat(40_000)}`;
    output.push(Buffer.from(text));
    expect(sent.length).toBeGreaterThan(1);
    for (const data of sent) {
      expect(data.length).toBeLessThanOrEqual(MAX_TERMINAL_OUTPUT_BYTES);
      expect(() => strict.decode(data)).not.toThrow();
    }
    expect(Buffer.concat(sent).toString('utf8')).toBe(text);
  });

  it('never holds back bytes that are not UTF-8', () => {
    const { sent, output } = collect();
    output.push(Buffer.from([0x61, 0xff]));
    output.push(Buffer.from([0x80, 0x80]));
    output.push(Buffer.from([0xc0]));
    expect(Buffer.concat(sent)).toEqual(Buffer.from([0x61, 0xff, 0x80, 0x80, 0xc0]));
    expect(completeUtf8Length(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
    expect(completeUtf8Length(Buffer.from([0xf0, 0x9f, 0x98, 0x80]))).toBe(4);
  });
});
