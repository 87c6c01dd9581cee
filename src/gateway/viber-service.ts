import { OpenViberError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type ViberPresence, type ViberView, WS_CLOSE } from '../protocol/index.ts';
import type { GatewayCore } from './gateway-context.ts';
import { toViberView } from './http/views.ts';

export interface RegisteredViber {
  id: string;
  name: string;
  /** Shown once; the store keeps only its hash. */
  token: string;
}

export async function registerViber(core: GatewayCore, name: string): Promise<RegisteredViber> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) {
    throw new OpenViberError('validation_failed', 'name: must be 1 to 200 characters', 400);
  }
  const { token, tokenHash } = core.auth.issueViberToken();
  const id = newId('viber');
  await core.store.insertViber({ id, name: trimmed, tokenHash, createdAt: new Date().toISOString() });
  core.log.info({ viberId: id, name: trimmed }, 'viber registered');
  return { id, name: trimmed, token };
}

/** Revokes a viber's token and cuts its live connection. */
export async function revokeViber(
  core: GatewayCore,
  viberId: string,
): Promise<{ id: string; revokedAt: string }> {
  const revokedAt = new Date().toISOString();
  if (!(await core.store.revokeViber(viberId, revokedAt))) {
    const exists = await core.store.getViber(viberId);
    throw exists
      ? new OpenViberError('conflict', `viber ${viberId} is already revoked`, 409)
      : new OpenViberError('not_found', `viber ${viberId} not found`, 404);
  }
  core.connections.get(viberId)?.close(WS_CLOSE.unauthorized, 'viber revoked');
  core.log.info({ viberId }, 'viber revoked');
  return { id: viberId, revokedAt };
}

function presenceOf(core: GatewayCore, viberId: string, running: Map<string, number>): ViberPresence {
  if (!core.connections.isOnline(viberId)) return 'offline';
  return (running.get(viberId) ?? 0) > 0 ? 'busy' : 'online';
}

export async function listViberViews(core: GatewayCore): Promise<ViberView[]> {
  const [vibers, running] = await Promise.all([
    core.store.listVibers(),
    core.store.countRunningTasksByViber(),
  ]);
  return vibers.map((viber) => toViberView(viber, presenceOf(core, viber.id, running)));
}

export async function getViberView(core: GatewayCore, viberId: string): Promise<ViberView> {
  const viber = await core.store.getViber(viberId);
  if (!viber || viber.revokedAt) throw new OpenViberError('not_found', `viber ${viberId} not found`, 404);
  const running = await core.store.countRunningTasksByViber();
  return toViberView(viber, presenceOf(core, viber.id, running));
}

/** Asks a connected daemon to pull and validate its config; its `config:ack` becomes configState. */
export async function pushConfig(
  core: GatewayCore,
  viberId: string,
): Promise<{ viberId: string; requestedAt: string }> {
  await getViberView(core, viberId);
  const connection = core.connections.get(viberId);
  if (!connection?.send({ type: 'config:push' })) {
    throw new OpenViberError('viber_offline', `viber ${viberId} is not connected`, 409);
  }
  return { viberId, requestedAt: new Date().toISOString() };
}
