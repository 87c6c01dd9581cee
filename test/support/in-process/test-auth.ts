import pino from 'pino';
import { DeviceSockets } from '../../../src/gateway/auth/device-sockets.ts';
import { DeviceService } from '../../../src/gateway/auth/devices.ts';
import { FailureLimiter } from '../../../src/gateway/auth/failure-limiter.ts';
import { createGatewayAuth, type GatewayAuth } from '../../../src/gateway/auth/gateway-auth.ts';
import { NonceBook } from '../../../src/gateway/auth/nonce-book.ts';
import type { GatewayStore } from '../../../src/gateway/store/index.ts';

/**
 * The gateway's auth on a store, as start-gateway.ts wires it, for unit tests of what stands on
 * it: the device service, and the HTTP auth with `operatorToken` adopted as the operator token.
 */
export async function testAuth(
  store: GatewayStore,
  operatorToken?: string,
  now: () => number = Date.now,
): Promise<{ auth: GatewayAuth; devices: DeviceService }> {
  const devices = new DeviceService({
    store,
    sockets: new DeviceSockets(),
    limiter: new FailureLimiter(),
    nonces: new NonceBook(undefined, now),
    log: pino({ level: 'silent' }),
    now,
  });
  if (operatorToken) await devices.adoptOperatorToken(operatorToken);
  return { auth: createGatewayAuth(store, devices), devices };
}
