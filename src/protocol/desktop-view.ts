import { z } from 'zod';
import { BINARY_FRAME_KIND, decodeNamedFrame, encodeNamedFrame } from './binary-frame.ts';

/**
 * The live desktop view (docs/desktop.md, "Live view"): a viber started with `--desktop --vnc`
 * runs a VNC server on a Unix socket only its user can open, and the gateway relays an RFB byte
 * stream between it and a VNC client in the board, as it relays terminals. The agent never uses it.
 *
 * Three legs, one stream each way:
 * - viewer <-> gateway (`desktop.socket`): binary frames are raw RFB bytes; text frames are the
 *   JSON messages below (ready, access changes, refusals, the end).
 * - gateway -> daemon: `desktop:open`, `desktop:input` (the viewer's RFB bytes, base64: they are
 *   few, key and pointer events and update requests), `desktop:close`.
 * - daemon -> gateway: the server's RFB bytes as binary frames (kind 3, the view id as the name),
 *   and `desktop:closed` when the VNC connection ends.
 */

/** The capability a viber reports when its VNC server runs. */
export const DESKTOP_VIEW_CAPABILITY = 'desktop-view';

/** `view` sees the screen; `control` may also move the pointer, click and type. */
export const DesktopAccessSchema = z.enum(['view', 'control']);
export type DesktopAccess = z.infer<typeof DesktopAccessSchema>;

export const DesktopViewIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a view id');
const viewId = DesktopViewIdSchema;
/** Base64 of at most 48 KiB of RFB client bytes (a ClientCutText may be long). */
const MAX_INPUT_BASE64_CHARS = 64 * 1024;

/** Gateway -> daemon. */
export const desktopToViberSchemas = [
  z.strictObject({ type: z.literal('desktop:open'), viewId }),
  z.strictObject({
    type: z.literal('desktop:input'),
    viewId,
    data: z.base64().max(MAX_INPUT_BASE64_CHARS),
  }),
  z.strictObject({ type: z.literal('desktop:close'), viewId }),
] as const;

/** Daemon -> gateway: the VNC connection of a view ended (or never opened), with why. */
export const desktopFromViberSchemas = [
  z.strictObject({ type: z.literal('desktop:closed'), viewId, reason: z.string().max(500) }),
] as const;

/** The `?` of the viewer socket: which viber, and `access=control` to take over from the start. */
export const DesktopSocketQuerySchema = z.object({
  viber: z.string().min(1).max(200),
  access: DesktopAccessSchema.optional(),
});

/** Viewer -> gateway text frames (binary frames are RFB bytes). */
export const DesktopClientMessageSchema = z.discriminatedUnion('type', [
  /** Take control: needs terminals.write. */
  z.strictObject({ type: z.literal('desktop:take-over') }),
  /** Back to watching. */
  z.strictObject({ type: z.literal('desktop:release') }),
]);
export type DesktopClientMessage = z.infer<typeof DesktopClientMessageSchema>;

export const DESKTOP_ERROR_CODES = [
  'bad_request',
  'forbidden',
  'not_found',
  'viber_offline',
  'not_supported',
  'internal',
] as const;

/** Gateway -> viewer text frames. */
export const DesktopServerMessageSchema = z.discriminatedUnion('type', [
  /** The relay is open: RFB bytes follow as binary frames. */
  z.strictObject({ type: z.literal('desktop:ready'), viberId: z.string(), access: DesktopAccessSchema }),
  z.strictObject({ type: z.literal('desktop:access'), access: DesktopAccessSchema }),
  /** Input a `view` viewer sent was dropped (sent at most once a second). */
  z.strictObject({ type: z.literal('desktop:refused'), message: z.string().max(500) }),
  z.strictObject({
    type: z.literal('desktop:error'),
    code: z.enum(DESKTOP_ERROR_CODES),
    message: z.string().max(2000),
  }),
  /** The view ended; the socket closes after this. */
  z.strictObject({ type: z.literal('desktop:closed'), reason: z.string().max(500) }),
]);
export type DesktopServerMessage = z.infer<typeof DesktopServerMessageSchema>;

/** The most RFB bytes one daemon frame carries. */
export const MAX_DESKTOP_FRAME_BYTES = 256 * 1024;

export function encodeDesktopFrame(viewId: string, data: Uint8Array): Uint8Array {
  return encodeNamedFrame(BINARY_FRAME_KIND.desktopView, [viewId], data);
}

/** The view and its bytes (a view into `frame`), or undefined when this is not such a frame. */
export function decodeDesktopFrame(frame: Uint8Array): { viewId: string; data: Uint8Array } | undefined {
  const decoded = decodeNamedFrame(BINARY_FRAME_KIND.desktopView, 1, frame);
  const id = decoded?.names[0];
  if (!decoded || id === undefined || !DesktopViewIdSchema.safeParse(id).success) return undefined;
  return { viewId: id, data: decoded.data };
}
