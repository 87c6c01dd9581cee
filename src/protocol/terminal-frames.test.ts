import { describe, expect, it } from 'vitest';
import {
  decodePaneOutputFrame,
  decodeViewerOutputFrame,
  encodePaneOutputFrame,
  encodeViewerOutputFrame,
  TerminalServerMessageSchema,
} from './index.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('binary terminal output frames', () => {
  it('carry a pane id and its output from the daemon, as a view of the frame', () => {
    const data = bytes('\x1b[31mred\x1b[0m \\ é€😀\r\n');
    const frame = encodePaneOutputFrame('%12', data);
    expect(frame[0]).toBe(1);
    const decoded = decodePaneOutputFrame(frame);
    expect(decoded?.paneId).toBe('%12');
    expect(Buffer.from(decoded!.data).equals(Buffer.from(data))).toBe(true);
    expect(decoded!.data.buffer).toBe(frame.buffer);
  });

  it('become the terminal:output message they stand for at the viewer, U+FEFF and all', () => {
    const frame = encodeViewerOutputFrame('viber_é1', 'work:0.1', bytes('\ufeffhello\x00 \x7f'));
    const message = decodeViewerOutputFrame(frame);
    expect(message).toEqual({
      type: 'terminal:output',
      viberId: 'viber_é1',
      target: 'work:0.1',
      data: '\ufeffhello\x00 \x7f',
    });
    expect(TerminalServerMessageSchema.parse(message)).toEqual(message);
    expect(decodeViewerOutputFrame(encodeViewerOutputFrame('v', 't', new Uint8Array()))?.data).toBe('');
  });

  it('refuse what is not one of them', () => {
    const pane = encodePaneOutputFrame('%3', bytes('x'));
    const viewer = encodeViewerOutputFrame('v', 't', bytes('x'));
    // A frame of the other hop, a truncated one, an empty one, a pane id that is not tmux's.
    expect(decodePaneOutputFrame(viewer)).toBeUndefined();
    expect(decodeViewerOutputFrame(pane)).toBeUndefined();
    expect(decodePaneOutputFrame(pane.subarray(0, 3))).toBeUndefined();
    expect(decodePaneOutputFrame(new Uint8Array())).toBeUndefined();
    expect(decodePaneOutputFrame(encodePaneOutputFrame('work', bytes('x')))).toBeUndefined();
    expect(decodeViewerOutputFrame(encodeViewerOutputFrame('', 't', bytes('x')))).toBeUndefined();
    expect(() => encodePaneOutputFrame('%'.repeat(2000), bytes('x'))).toThrow(RangeError);
  });
});
