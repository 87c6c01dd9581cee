import { z } from 'zod';
import { BINARY_FRAME_KIND, decodeNamedFrame, encodeNamedFrame } from './binary-frame.ts';

/** A tmux target: `session`, `session:window` or `session:window.pane`, or a pane id like `%3`. */
export const TerminalTargetSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(%\d+|[A-Za-z0-9_.@-]+(:[A-Za-z0-9_-]+(\.\d+)?)?)$/,
    'must be a tmux target such as work:0.1 or %3',
  );

const PANE_ID = /^%\d+$/;
/** tmux's own pane id (`%3`): stable for the pane's life, whatever target a viewer used. */
export const TerminalPaneIdSchema = z.string().regex(PANE_ID, 'must be a tmux pane id such as %3');

export const TerminalSessionNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'session names are 1-64 letters, digits, _ and -');

/** tmux key names for send-keys (`Enter`, `C-c`, `Up`, `F5`, `M-x`), sent after the literal keys. */
export const TerminalKeyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,32}$/, 'must be a tmux key name such as Enter or C-c');

const appId = z.string().min(1).max(200).optional();
/** Correlates a request with its answer when several are in flight. */
const requestId = z.string().max(200).optional();
const cols = z.number().int().min(2).max(1000);
const rows = z.number().int().min(2).max(1000);
/**
 * Terminal input as typed: text and control characters (what xterm.js or a raw-mode TTY produce),
 * delivered to the pane byte for byte. Its size limit (LIMITS.maxTerminalInputChars) is checked by
 * the gateway with a precise `input_too_large` error, so the schema only bounds the frame.
 */
const keys = z.string().max(64 * 1024);
const specialKeys = z.array(TerminalKeyNameSchema).max(64).optional();

/** Codes carried by `terminal:error`, on the daemon link and to viewers alike. */
export const TERMINAL_ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'not_found',
  'forbidden',
  'unauthorized',
  'viber_offline',
  'input_too_large',
  'tmux_missing',
  'tmux_failed',
  'not_supported',
  'internal',
] as const;
export type TerminalErrorCode = (typeof TERMINAL_ERROR_CODES)[number];

/** Gateway -> daemon terminal messages (protocol document, sections 3 and 6). */
export const terminalToViberSchemas = [
  z.strictObject({ type: z.literal('terminal:list'), requestId }),
  z.strictObject({
    type: z.literal('terminal:create'),
    requestId,
    session: TerminalSessionNameSchema,
    cwd: z.string().max(4096).optional(),
    cols: cols.optional(),
    rows: rows.optional(),
  }),
  /** Attaching again with the same appId resends the screen (the gateway's resync). */
  z.strictObject({ type: z.literal('terminal:attach'), target: TerminalTargetSchema, appId }),
  z.strictObject({ type: z.literal('terminal:detach'), target: TerminalTargetSchema, appId }),
  /**
   * With a requestId, the daemon answers terminal:done once tmux took the input (or an error). The
   * gateway gives every input and resize one of its own (random, so no viber can guess another's),
   * so an error always finds its viewer; a viewer gets `done` only when it sent a requestId itself.
   */
  z.strictObject({
    type: z.literal('terminal:input'),
    requestId,
    target: TerminalTargetSchema,
    keys,
    specialKeys,
    appId,
  }),
  z.strictObject({
    type: z.literal('terminal:resize'),
    requestId,
    target: TerminalTargetSchema,
    cols,
    rows,
    appId,
  }),
] as const;

export const TerminalPaneSchema = z.object({
  id: z.string(),
  target: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  command: z.string().optional(),
  active: z.boolean(),
});
export type TerminalPane = z.infer<typeof TerminalPaneSchema>;
export const TerminalWindowSchema = z.object({
  index: z.number().int(),
  name: z.string(),
  panes: z.array(TerminalPaneSchema),
});
export const TerminalSessionSchema = z.object({
  name: z.string(),
  windows: z.array(TerminalWindowSchema),
  attached: z.boolean().optional(),
});
export type TerminalSession = z.infer<typeof TerminalSessionSchema>;

const paneId = TerminalPaneIdSchema;
const errorFields = {
  target: z.string().max(200).optional(),
  requestId,
  code: z.string().max(100),
  message: z.string().max(2000),
};

/**
 * Daemon -> gateway terminal messages. Output is sent once per pane (no appId): the gateway fans
 * it out to every viewer of `paneId`. A screen with an appId is for that viewer; without one it
 * resyncs every viewer of the pane (the daemon dropped output it could not send).
 */
export const terminalFromViberSchemas = [
  z.strictObject({
    type: z.literal('terminal:list-result'),
    requestId,
    sessions: z.array(TerminalSessionSchema),
  }),
  z.strictObject({ type: z.literal('terminal:created'), requestId, session: z.string(), target: z.string() }),
  /** Sent on attach and on resync: the pane's current screen, with escape sequences. */
  z.strictObject({
    type: z.literal('terminal:screen'),
    target: z.string(),
    paneId,
    appId,
    cols,
    rows,
    data: z.string(),
  }),
  z.strictObject({ type: z.literal('terminal:output'), target: z.string(), paneId, appId, data: z.string() }),
  z.strictObject({
    type: z.literal('terminal:detached'),
    target: z.string(),
    paneId: paneId.optional(),
    appId,
    reason: z.string().max(500),
  }),
  z.strictObject({ type: z.literal('terminal:done'), requestId: z.string().max(200) }),
  z.strictObject({ type: z.literal('terminal:error'), ...errorFields, appId }),
] as const;

const viberId = z.string().min(1).max(200);

/**
 * Browser or CLI -> gateway, on the terminal WebSocket (`/api/terminals/ws` by default). Every
 * message names the viber; the gateway assigns the daemon-side appId itself.
 */
export const TerminalClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('terminal:list'), requestId, viberId }),
  z.strictObject({
    type: z.literal('terminal:create'),
    requestId,
    viberId,
    session: TerminalSessionNameSchema,
    cwd: z.string().max(4096).optional(),
    cols: cols.optional(),
    rows: rows.optional(),
  }),
  z.strictObject({ type: z.literal('terminal:attach'), viberId, target: TerminalTargetSchema }),
  z.strictObject({ type: z.literal('terminal:detach'), viberId, target: TerminalTargetSchema }),
  z.strictObject({
    type: z.literal('terminal:input'),
    requestId,
    viberId,
    target: TerminalTargetSchema,
    keys,
    specialKeys,
  }),
  z.strictObject({
    type: z.literal('terminal:resize'),
    requestId,
    viberId,
    target: TerminalTargetSchema,
    cols,
    rows,
  }),
]);
export type TerminalClientMessage = z.infer<typeof TerminalClientMessageSchema>;

/** Read-only viewers may watch; writers may also create sessions, type and resize. */
export const TerminalAccessSchema = z.enum(['read', 'write']);
export type TerminalAccess = z.infer<typeof TerminalAccessSchema>;

/**
 * How a viewer gets pane output: `terminal:output` JSON messages (the default), or binary frames
 * (`?output=binary`, see encodeViewerOutputFrame), which the gateway confirms in `terminal:ready`.
 */
export const TerminalOutputFormatSchema = z.enum(['json', 'binary']);
export type TerminalOutputFormat = z.infer<typeof TerminalOutputFormatSchema>;

/** Gateway -> browser or CLI, on the terminal WebSocket. `target` is the one the viewer used. */
export const TerminalServerMessageSchema = z.discriminatedUnion('type', [
  /** First message: what this connection may do and the input limit in force. */
  z.strictObject({
    type: z.literal('terminal:ready'),
    access: TerminalAccessSchema,
    maxInputChars: z.number().int(),
    /** Present when the viewer asked for `?output=binary` and gets it. */
    output: z.literal('binary').optional(),
  }),
  z.strictObject({
    type: z.literal('terminal:list-result'),
    requestId,
    viberId,
    sessions: z.array(TerminalSessionSchema),
  }),
  z.strictObject({
    type: z.literal('terminal:created'),
    requestId,
    viberId,
    session: z.string(),
    target: z.string(),
  }),
  z.strictObject({
    type: z.literal('terminal:screen'),
    viberId,
    target: z.string(),
    paneId,
    cols,
    rows,
    data: z.string(),
  }),
  z.strictObject({ type: z.literal('terminal:output'), viberId, target: z.string(), data: z.string() }),
  z.strictObject({
    type: z.literal('terminal:detached'),
    viberId,
    target: z.string(),
    reason: z.string().max(500),
  }),
  /** Acknowledges a terminal:input or terminal:resize that carried a requestId. */
  z.strictObject({ type: z.literal('terminal:done'), requestId: z.string().max(200), viberId }),
  z.strictObject({ type: z.literal('terminal:error'), ...errorFields, viberId: viberId.optional() }),
]);
export type TerminalServerMessage = z.infer<typeof TerminalServerMessageSchema>;

/**
 * Binary output frames. Pane output is nearly all of terminal traffic; as binary it crosses the
 * daemon link and the viewer socket without JSON escaping, parsing or UTF-16 strings in between.
 * Both sides negotiate it: the daemon link with the `terminal-binary` extension (device.ts), the
 * viewer socket with `?output=binary`. Everything else stays JSON, on the same socket, so the
 * order of output, screens and detaches is the order of the frames.
 *
 * A frame is a named frame (binary-frame.ts) whose data is UTF-8 that never ends inside a
 * character, so each frame decodes on its own. Kind 1 (daemon -> gateway): the pane id, then its output. Kind 2 (gateway ->
 * viewer): the viberId and the target the viewer used, then the output.
 */
export const TERMINAL_FRAME_KIND = {
  paneOutput: BINARY_FRAME_KIND.paneOutput,
  viewerOutput: BINARY_FRAME_KIND.viewerOutput,
} as const;

/** Output bytes in one frame (binary) or characters in one `terminal:output` (JSON). */
export const MAX_TERMINAL_OUTPUT_BYTES = 64 * 1024;

// ignoreBOM keeps a U+FEFF the pane printed at the start of a frame (by default it is dropped).
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function encodePaneOutputFrame(paneId: string, data: Uint8Array): Uint8Array {
  return encodeNamedFrame(TERMINAL_FRAME_KIND.paneOutput, [paneId], data);
}

/** The pane and its output (a view into `frame`), or undefined when this is not such a frame. */
export function decodePaneOutputFrame(frame: Uint8Array): { paneId: string; data: Uint8Array } | undefined {
  const decoded = decodeNamedFrame(TERMINAL_FRAME_KIND.paneOutput, 1, frame);
  const paneId = decoded?.names[0];
  if (!decoded || paneId === undefined || !PANE_ID.test(paneId)) return undefined;
  return { paneId, data: decoded.data };
}

export function encodeViewerOutputFrame(viberId: string, target: string, data: Uint8Array): Uint8Array {
  return encodeNamedFrame(TERMINAL_FRAME_KIND.viewerOutput, [viberId, target], data);
}

/** A binary frame as the `terminal:output` message it stands for, or undefined when it is not one. */
export function decodeViewerOutputFrame(
  frame: Uint8Array,
): Extract<TerminalServerMessage, { type: 'terminal:output' }> | undefined {
  const decoded = decodeNamedFrame(TERMINAL_FRAME_KIND.viewerOutput, 2, frame);
  const [viberId, target] = decoded?.names ?? [];
  if (!decoded || !viberId || viberId.length > 200 || target === undefined) return undefined;
  return { type: 'terminal:output', viberId, target, data: utf8Decoder.decode(decoded.data) };
}
