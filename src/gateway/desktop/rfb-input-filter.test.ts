import { describe, expect, it } from 'vitest';
import { RfbInputFilter } from './rfb-input-filter.ts';

// The filter that keeps a read-only viewer's input off the desktop (docs/desktop.md, "Live
// view"), on RFB messages built by hand as RFC 6143 and noVNC lay them out.

const OPENING = [...Buffer.from('RFB 003.008\n'), 1, 1];
const u16 = (value: number) => [value >> 8, value & 0xff];
const u32 = (value: number) => [
  (value >>> 24) & 0xff,
  (value >>> 16) & 0xff,
  (value >>> 8) & 0xff,
  value & 0xff,
];

const MESSAGES = {
  setPixelFormat: [0, 0, 0, 0, 32, 24, 0, 1, ...u16(255), ...u16(255), ...u16(255), 16, 8, 0, 0, 0, 0],
  setEncodings: [2, 0, ...u16(2), ...u32(0), ...u32(-223 >>> 0)],
  updateRequest: [3, 1, ...u16(0), ...u16(0), ...u16(1280), ...u16(800)],
  key: [4, 1, 0, 0, ...u32(0x61)],
  click: [5, 1, ...u16(10), ...u16(20)],
  move: [5, 0, ...u16(11), ...u16(21)],
  cutText: [6, 0, 0, 0, ...u32(3), ...Buffer.from('abc')],
  // noVNC's, on connect: caps with every action, provide included.
  clipboardCaps: [6, 0, 0, 0, ...u32(-8 >>> 0), ...u32(0x1f000001), ...u32(0x100000)],
  clipboardProvide: [6, 0, 0, 0, ...u32(-6 >>> 0), ...u32((1 << 28) | 1), 0x78, 0x9c],
  continuousUpdates: [150, 1, ...u16(0), ...u16(0), ...u16(1280), ...u16(800)],
  fence: [248, 0, 0, 0, ...u32(1 << 31), 2, 7, 7],
  setDesktopSize: [
    251,
    0,
    ...u16(1024),
    ...u16(768),
    1,
    0,
    ...u32(0),
    ...u16(0),
    ...u16(0),
    ...u16(1024),
    ...u16(768),
    ...u32(0),
  ],
  qemuKey: [255, 0, ...u16(1), ...u32(0x61), ...u32(30)],
};
type Name = keyof typeof MESSAGES;
const INPUT: Name[] = ['key', 'click', 'move', 'cutText', 'clipboardProvide', 'setDesktopSize', 'qemuKey'];
const ALL = Object.keys(MESSAGES) as Name[];

function stream(names: Name[]): Uint8Array {
  return Uint8Array.from([...OPENING, ...names.flatMap((name) => MESSAGES[name])]);
}

/** Pushes `bytes` cut at `cuts` and joins what was forwarded. */
function run(filter: RfbInputFilter, bytes: Uint8Array, cuts: number[] = []) {
  const forwarded: number[] = [];
  let dropped = false;
  let at = 0;
  for (const end of [...cuts, bytes.length]) {
    const result = filter.push(bytes.subarray(at, end));
    if (!result.ok) throw new Error(result.message);
    forwarded.push(...result.forward);
    dropped ||= result.droppedInput;
    at = end;
  }
  return { forwarded: Uint8Array.from(forwarded), dropped };
}

describe('RfbInputFilter', () => {
  it('passes everything, in order, to a viewer in control', () => {
    const bytes = stream(ALL);
    expect(run(new RfbInputFilter('control'), bytes)).toEqual({ forwarded: bytes, dropped: false });
  });

  it('drops input from a read-only viewer and passes the rest whole', () => {
    const { forwarded, dropped } = run(new RfbInputFilter('view'), stream(ALL));
    expect(forwarded).toEqual(stream(ALL.filter((name) => !INPUT.includes(name))));
    expect(dropped).toBe(true);
  });

  it('drops a bare pointer move quietly, and passes clipboard negotiation', () => {
    expect(run(new RfbInputFilter('view'), stream(['move', 'clipboardCaps', 'updateRequest']))).toEqual({
      forwarded: stream(['clipboardCaps', 'updateRequest']),
      dropped: false,
    });
  });

  it('gives the same result wherever the bytes are cut', () => {
    const bytes = stream(ALL);
    const whole = run(new RfbInputFilter('view'), bytes);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      expect(run(new RfbInputFilter('view'), bytes, [cut])).toEqual(whole);
    }
    const byteByByte = Array.from({ length: bytes.length - 1 }, (_, index) => index + 1);
    expect(run(new RfbInputFilter('view'), bytes, byteByByte)).toEqual(whole);
  });

  it('follows an access change between messages', () => {
    const filter = new RfbInputFilter('view');
    expect(run(filter, stream(['click'])).forwarded).toEqual(Uint8Array.from(OPENING));
    filter.access = 'control';
    expect(run(filter, Uint8Array.from(MESSAGES.click)).forwarded).toEqual(Uint8Array.from(MESSAGES.click));
  });

  it('knows RFB 3.3, whose client sends no security type', () => {
    const bytes = Uint8Array.from([
      ...Buffer.from('RFB 003.003\n'),
      1,
      ...MESSAGES.key,
      ...MESSAGES.updateRequest,
    ]);
    expect(run(new RfbInputFilter('view'), bytes).forwarded).toEqual(
      Uint8Array.from([...Buffer.from('RFB 003.003\n'), 1, ...MESSAGES.updateRequest]),
    );
  });

  it('refuses what it cannot size or read, with why', () => {
    expect(new RfbInputFilter('view').push(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({
      ok: false,
      message: 'not an RFB 3.3-3.8 client (it sent "GET / HTTP/1")',
    });
    expect(new RfbInputFilter('control').push(Uint8Array.from([...OPENING, 99, 0, 0]))).toEqual({
      ok: false,
      message: 'the viewer sent an RFB message of unknown type 99',
    });
    expect(
      new RfbInputFilter('control').push(Uint8Array.from([...OPENING, 6, 0, 0, 0, ...u32(2 * 1024 * 1024)])),
    ).toEqual({
      ok: false,
      message: 'the viewer sent clipboard text over 1 MiB',
    });
  });
});
