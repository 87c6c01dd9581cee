import type { RouteInput } from '#lib/client.ts';
import type {
  DeviceListResponse,
  DeviceView,
  OperatorScope,
  PairingCodeResponse,
  RotateDeviceResponse,
} from '#lib/protocol.ts';
import { gateway, newIdempotencyKey } from './gateway.ts';

/**
 * Paired devices and pairing requests (`devices.*` and `pairingCodes.create` in
 * src/protocol/device-api.ts): all of them need `devices.admin`.
 */

export type PairingCodeInput = RouteInput<'pairingCodes.create'>['body'];

export type DeviceListQuery = NonNullable<RouteInput<'devices.list'>['query']>;

/** A page of devices: pending pairing requests first, then paired, then revoked. */
export function listDevices(query: DeviceListQuery = {}): Promise<DeviceListResponse> {
  return gateway.call('devices.list', { query });
}

/** Pairs a pending device; an operator device gets `scopes` (default: what it asked for). */
export function approveDevice(deviceId: string, scopes?: OperatorScope[]): Promise<DeviceView> {
  return gateway.call('devices.approve', {
    params: { deviceId },
    body: scopes ? { scopes } : {},
    idempotencyKey: newIdempotencyKey(),
  });
}

export function rejectDevice(deviceId: string): Promise<{ id: string; rejected: true }> {
  return gateway.call('devices.reject', { params: { deviceId }, idempotencyKey: newIdempotencyKey() });
}

/** Its tokens stop working and its live sockets close. */
export function revokeDevice(deviceId: string): Promise<DeviceView> {
  return gateway.call('devices.revoke', { params: { deviceId }, idempotencyKey: newIdempotencyKey() });
}

/** A new token: a keyed device collects it on its next connect; a keyless one's is in the answer, once. */
export function rotateDevice(deviceId: string): Promise<RotateDeviceResponse> {
  return gateway.call('devices.rotate', { params: { deviceId } });
}

/** A one-time code that pairs a new machine: `viber login --server URL --code CODE`. */
export function createPairingCode(body: PairingCodeInput): Promise<PairingCodeResponse> {
  return gateway.call('pairingCodes.create', { body });
}
