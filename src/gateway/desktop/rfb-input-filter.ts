import type { DesktopAccess } from '../../protocol/index.ts';

/** A ClientCutText longer than this closes the view: no clipboard needs it, and it would be buffered whole. */
const MAX_CUT_TEXT_BYTES = 1024 * 1024;

/**
 * What one push of viewer bytes gives: the bytes to pass on and whether input meant as input (a
 * click, a key, a paste) was dropped, or why the stream is refused.
 */
export type FilterResult =
  | { ok: true; forward: Uint8Array; droppedInput: boolean }
  | { ok: false; message: string };

/**
 * Reads the bytes a VNC client sends (RFC 6143, plus the extensions noVNC uses against TigerVNC)
 * message by message, so that a read-only viewer's input never reaches the server: key and pointer
 * events, clipboard text, desktop resizes and QEMU key events are dropped while the access is
 * `view`. The rest (pixel format, encodings, update requests, fences) passes whole, in order.
 *
 * The opening is passed as is: the 12-byte ProtocolVersion, the one-byte security type (the viber's
 * VNC server offers only None: the gateway and the Unix socket are the authentication), and the
 * one-byte ClientInit. A message type it cannot size refuses the stream rather than guess.
 */
export class RfbInputFilter {
  access: DesktopAccess;
  #pending: Uint8Array = new Uint8Array(0);
  /** Bytes of the opening still to pass before messages begin (version, security type, ClientInit). */
  #opening = 12 + 1 + 1;
  #versionChecked = false;

  constructor(access: DesktopAccess) {
    this.access = access;
  }

  push(bytes: Uint8Array): FilterResult {
    const buffer = concat(this.#pending, bytes);
    const out: Uint8Array[] = [];
    let offset = 0;
    let droppedInput = false;
    if (this.#opening > 0) {
      if (!this.#versionChecked) {
        if (buffer.length < 12) return this.#wait(buffer, out, droppedInput);
        const version = new TextDecoder().decode(buffer.subarray(0, 12));
        if (!/^RFB 003\.00[378]\n$/.test(version))
          return { ok: false, message: `not an RFB 3.3-3.8 client (it sent ${JSON.stringify(version)})` };
        // RFB 3.3 has no security type from the client: the server chooses.
        if (version === 'RFB 003.003\n') this.#opening -= 1;
        this.#versionChecked = true;
      }
      const take = Math.min(this.#opening, buffer.length);
      out.push(buffer.subarray(0, take));
      offset = take;
      this.#opening -= take;
    }
    while (offset < buffer.length) {
      const size = messageSize(buffer, offset);
      if (size === 'unknown')
        return { ok: false, message: `the viewer sent an RFB message of unknown type ${buffer[offset]}` };
      if (size === 'too-large') return { ok: false, message: 'the viewer sent clipboard text over 1 MiB' };
      if (size === undefined || offset + size > buffer.length) break;
      const message = buffer.subarray(offset, offset + size);
      if (this.access === 'view' && isInput(message)) {
        // A bare pointer move is dropped quietly: only a press, a key or a paste was meant as input.
        if (!isBareMove(message)) droppedInput = true;
      } else out.push(message);
      offset += size;
    }
    return this.#wait(buffer.subarray(offset), out, droppedInput);
  }

  #wait(rest: Uint8Array, out: Uint8Array[], droppedInput: boolean): FilterResult {
    this.#pending = rest.slice();
    return { ok: true, forward: concat(...out), droppedInput };
  }
}

const TYPE = {
  setPixelFormat: 0,
  setEncodings: 2,
  updateRequest: 3,
  keyEvent: 4,
  pointerEvent: 5,
  cutText: 6,
  enableContinuousUpdates: 150,
  clientFence: 248,
  setDesktopSize: 251,
  qemu: 255,
} as const;

const INPUT_TYPES = new Set<number>([
  TYPE.keyEvent,
  TYPE.pointerEvent,
  TYPE.cutText,
  TYPE.setDesktopSize,
  TYPE.qemu,
]);
/** Extended clipboard (a ClientCutText with a negative length): the action that carries text. */
const CLIPBOARD_CAPS = 1 << 24;
const CLIPBOARD_PROVIDE = 1 << 28;

function isInput(message: Uint8Array): boolean {
  const type = message[0]!;
  if (!INPUT_TYPES.has(type)) return false;
  if (type !== TYPE.cutText) return true;
  // The extended clipboard's capabilities, requests and notices are negotiation (noVNC sends its
  // capabilities on connect); only `provide` puts text on the desktop's clipboard.
  // A capabilities message sets the caps bit and names every action it supports, `provide` too.
  const view = new DataView(message.buffer, message.byteOffset, message.length);
  if (view.getInt32(4) >= 0) return true;
  if (message.length < 12) return true;
  const flags = view.getUint32(8);
  return (flags & CLIPBOARD_CAPS) === 0 && (flags & CLIPBOARD_PROVIDE) !== 0;
}

/** A PointerEvent with no button held. */
function isBareMove(message: Uint8Array): boolean {
  return message[0] === TYPE.pointerEvent && message[1] === 0;
}

/** The whole message's length, undefined until enough of it arrived to tell. */
function messageSize(buffer: Uint8Array, offset: number): number | undefined | 'unknown' | 'too-large' {
  const available = buffer.length - offset;
  const view = new DataView(buffer.buffer, buffer.byteOffset + offset, available);
  switch (buffer[offset]) {
    case TYPE.setPixelFormat:
      return 20;
    case TYPE.setEncodings:
      return available < 4 ? undefined : 4 + 4 * view.getUint16(2);
    case TYPE.updateRequest:
      return 10;
    case TYPE.keyEvent:
      return 8;
    case TYPE.pointerEvent:
      return 6;
    case TYPE.cutText: {
      if (available < 8) return undefined;
      // The high bit marks the extended clipboard format; its length is the absolute value.
      const length = Math.abs(view.getInt32(4));
      return length > MAX_CUT_TEXT_BYTES ? 'too-large' : 8 + length;
    }
    case TYPE.enableContinuousUpdates:
      return 10;
    case TYPE.clientFence:
      return available < 9 ? undefined : 9 + view.getUint8(8);
    case TYPE.setDesktopSize:
      return available < 7 ? undefined : 8 + 16 * view.getUint8(6);
    case TYPE.qemu:
      // Sub-type 0, the extended key event, is the only one noVNC sends.
      if (available < 2) return undefined;
      return view.getUint8(1) === 0 ? 12 : 'unknown';
    default:
      return 'unknown';
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((part) => part.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const total = nonEmpty.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of nonEmpty) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}
