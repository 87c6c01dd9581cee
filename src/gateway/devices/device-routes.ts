import type { Hono } from 'hono';
import type { DeviceService } from '../auth/devices.ts';
import { CURSORS, nextCursor, pageRequest } from '../http/page-cursor.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';

/** One-time pairing codes for `viber login --code`: good for ten minutes, as a board sign-in link. */
export const PAIRING_CODE_TTL_MS = 10 * 60_000;

/** The Devices page's routes: pairing requests, approval, revocation, rotation, pairing codes. */
export function deviceRoutes(devices: DeviceService): Hono<GatewayEnv> {
  return routes()
    .json('devices.list', async ({ query }, c) => {
      c.header('Cache-Control', 'no-store');
      const page = await devices.page({
        ...pageRequest(CURSORS.devices, query),
        ...(query.status ? { status: query.status } : {}),
        ...(query.role ? { role: query.role } : {}),
      });
      return { devices: page.items, nextCursor: nextCursor(CURSORS.devices, page) };
    })
    .json('devices.approve', ({ params, body }) => devices.approve(params.deviceId, body))
    .json('devices.reject', ({ params }) => devices.reject(params.deviceId))
    .json('devices.revoke', ({ params }) => devices.revoke(params.deviceId))
    .json('devices.rotate', async ({ params }, c) => {
      c.header('Cache-Control', 'no-store');
      return devices.rotate(params.deviceId);
    })
    .json('pairingCodes.create', async ({ body }, c) => {
      c.header('Cache-Control', 'no-store');
      return devices.mintCode(body.role, body.scopes, PAIRING_CODE_TTL_MS);
    }).app;
}
