import { z } from 'zod';
import { DeviceRoleSchema } from './device.ts';
import { OperatorScopeSchema } from './operator-scopes.ts';
import { NextCursorSchema, PageQuerySchema } from './pagination.ts';
import type { RestRoute } from './rest-route.ts';

/**
 * Paired devices and pairing requests (architecture document, section 7). A device is pending
 * until an operator with `devices.admin` approves it, then paired until revoked. Devices carried
 * over from the token era (the operator token, each viber's token) have no key until they first
 * connect with one; they keep the scopes they had.
 */
export const DeviceStatusSchema = z.enum(['pending', 'paired', 'revoked']);
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;

export const DeviceViewSchema = z.object({
  id: z.string(),
  /** Hex SHA-256 of the device's public key; null for a token-era device that has not connected with a key. */
  keyId: z.string().nullable(),
  name: z.string(),
  role: DeviceRoleSchema,
  scopes: z.array(OperatorScopeSchema),
  status: DeviceStatusSchema,
  /** A node: the viber it runs as. */
  viberId: z.string().nullable(),
  /** While pending: the short code the device shows, to compare before approving. */
  pairingCode: z.string().nullable(),
  /** The address the pairing request came from. */
  source: z.string().nullable(),
  createdAt: z.string(),
  /** A pending request lapses at this time. */
  expiresAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  /** When the device's current token was issued, and last used (null: not yet collected). */
  tokenCreatedAt: z.string().nullable(),
  tokenLastUsedAt: z.string().nullable(),
  /** Live sockets of this device on this gateway. */
  connections: z.number().int().nonnegative(),
});
export type DeviceView = z.infer<typeof DeviceViewSchema>;

/** `GET /api/devices`: a page, pending requests first; filtered by status or role. */
export const DeviceListQuerySchema = PageQuerySchema.extend({
  status: DeviceStatusSchema.optional(),
  role: DeviceRoleSchema.optional(),
});
export type DeviceListQuery = z.infer<typeof DeviceListQuerySchema>;

export const DeviceListResponseSchema = z.object({
  devices: z.array(DeviceViewSchema),
  nextCursor: NextCursorSchema,
});
export type DeviceListResponse = z.infer<typeof DeviceListResponseSchema>;

export const DeviceIdParamsSchema = z.strictObject({ deviceId: z.string().min(1).max(200) });

/** Approving may narrow an operator device's scopes below what it asked for. */
export const ApproveDeviceBodySchema = z.strictObject({
  scopes: z.array(OperatorScopeSchema).max(32).optional(),
  name: z.string().trim().min(1).max(200).optional(),
});
export type ApproveDeviceBody = z.infer<typeof ApproveDeviceBodySchema>;

/**
 * A rotated device collects its new token on its next signed connect; a keyless (token-era)
 * device cannot, so its new token is in this answer, shown once.
 */
export const RotateDeviceResponseSchema = z.object({
  device: DeviceViewSchema,
  token: z.string().optional(),
});
export type RotateDeviceResponse = z.infer<typeof RotateDeviceResponseSchema>;

export const RejectDeviceResponseSchema = z.object({ id: z.string(), rejected: z.literal(true) });

/** `POST /api/pairing-codes`: a one-time code that pairs a headless machine (`viber login --code`). */
export const CreatePairingCodeBodySchema = z.strictObject({
  role: DeviceRoleSchema.default('node'),
  /** Operator devices only; default every scope but devices.admin. */
  scopes: z.array(OperatorScopeSchema).max(32).optional(),
});
export type CreatePairingCodeBody = z.input<typeof CreatePairingCodeBodySchema>;

export const PairingCodeResponseSchema = z.object({
  code: z.string(),
  role: DeviceRoleSchema,
  scopes: z.array(OperatorScopeSchema),
  expiresAt: z.string(),
});
export type PairingCodeResponse = z.infer<typeof PairingCodeResponseSchema>;

export const DEVICE_ROUTES = {
  'devices.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/devices',
    scope: 'devices.admin',
    summary:
      'A page of devices: pending pairing requests first (newest first), then paired, then revoked; filtered by status or role.',
    query: DeviceListQuerySchema,
    responses: { 200: DeviceListResponseSchema },
    idempotencyKey: false,
  },
  'devices.approve': {
    kind: 'json',
    method: 'POST',
    path: '/api/devices/:deviceId/approve',
    scope: 'devices.admin',
    summary:
      'Approves a pending device; it collects its token over its waiting socket or on its next connect.',
    params: DeviceIdParamsSchema,
    body: ApproveDeviceBodySchema,
    responses: { 200: DeviceViewSchema },
    idempotencyKey: true,
  },
  'devices.reject': {
    kind: 'json',
    method: 'POST',
    path: '/api/devices/:deviceId/reject',
    scope: 'devices.admin',
    summary: 'Rejects a pending device: its request is deleted and its waiting socket closed.',
    params: DeviceIdParamsSchema,
    responses: { 200: RejectDeviceResponseSchema },
    idempotencyKey: true,
  },
  'devices.revoke': {
    kind: 'json',
    method: 'POST',
    path: '/api/devices/:deviceId/revoke',
    scope: 'devices.admin',
    summary:
      "Revokes a device: its tokens stop working and its live sockets close (a node's viber goes offline).",
    params: DeviceIdParamsSchema,
    responses: { 200: DeviceViewSchema },
    idempotencyKey: true,
  },
  'devices.rotate': {
    kind: 'json',
    method: 'POST',
    path: '/api/devices/:deviceId/rotate',
    scope: 'devices.admin',
    summary: "Replaces a device's token; its live sockets close and reconnect to collect the new one.",
    params: DeviceIdParamsSchema,
    responses: { 200: RotateDeviceResponseSchema },
    // Never stored for replay: a keyless device's answer carries its new token.
    idempotencyKey: false,
  },
  'pairingCodes.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/pairing-codes',
    scope: 'devices.admin',
    summary: 'Mints a one-time code that pairs a new machine: `viber login --server URL --code CODE`.',
    body: CreatePairingCodeBodySchema,
    responses: { 201: PairingCodeResponseSchema },
    idempotencyKey: false,
  },
} as const satisfies Record<string, RestRoute>;
