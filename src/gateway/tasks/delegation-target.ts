import { OpenViberError } from '../../core/errors.ts';
import type { DelegateTarget } from '../../protocol/index.ts';
import type { GatewayStore, TaskRecord, ViberRecord } from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { TaskPlacement } from './task-routes.ts';

export interface DelegationTargetDeps {
  store: Pick<GatewayStore, 'getViber' | 'listVibers'>;
  connections: Pick<ConnectionRegistry, 'isOnline'>;
  placement: TaskPlacement;
}

/** Where a child runs: the viber, and the environment id when one was asked for. */
export interface ChosenTarget {
  viber: ViberRecord;
  environmentId?: string;
}

const refuse = (code: 'not_found' | 'viber_offline' | 'no_viber' | 'conflict', message: string) =>
  new OpenViberError(code, message, code === 'not_found' ? 404 : 409);

/**
 * The viber a delegated child runs on (docs/delegation.md): the one named (by id or name), else
 * one that has the capability and is bound to the environment asked for, preferring the parent's
 * own viber, else the parent's viber. Only an online viber qualifies: a child waiting for a viber
 * that may never come would hold its parent forever.
 */
export async function chooseDelegationTarget(
  deps: DelegationTargetDeps,
  parent: TaskRecord,
  target: DelegateTarget,
): Promise<ChosenTarget> {
  let environmentId: string | undefined;
  let bound: Set<string> | undefined;
  if (target.environmentId) {
    // The environments' own rules: mapped, and ready on the viber (409 with the states otherwise).
    environmentId = await deps.placement.environmentId(target.environmentId);
    bound = new Set<string>();
    for (const viber of await deps.store.listVibers()) {
      const placed = await deps.placement
        .place({ goal: target.goal, viberId: viber.id, options: { environmentId } })
        .catch(() => undefined);
      if (placed?.viberId) bound.add(placed.viberId);
    }
  }
  const fits = (viber: ViberRecord) =>
    (!target.capability || (viber.info?.capabilities ?? []).includes(target.capability)) &&
    (!bound || bound.has(viber.id));
  const wanted = describeWanted(target);

  if (target.viber) {
    const viber = await findViber(deps, target.viber);
    if (!viber) throw refuse('not_found', `no viber is named or has the id "${target.viber}"`);
    if (!fits(viber)) throw refuse('conflict', `viber ${viber.name} (${viber.id}) is not one ${wanted}`);
    if (!deps.connections.isOnline(viber.id)) {
      throw refuse('viber_offline', `viber ${viber.name} (${viber.id}) is offline`);
    }
    return { viber, ...(environmentId ? { environmentId } : {}) };
  }
  if (!target.capability && !bound) {
    const own = await deps.store.getViber(parent.viberId);
    if (!own) throw refuse('not_found', `viber ${parent.viberId} not found`);
    return { viber: own };
  }
  const vibers = (await deps.store.listVibers()).filter(fits);
  const online = vibers.filter((viber) => deps.connections.isOnline(viber.id));
  const chosen = online.find((viber) => viber.id === parent.viberId) ?? online[0];
  if (!chosen) {
    const offline = vibers.length > 0 ? ` (${vibers.length} such viber(s) are offline)` : '';
    throw refuse('no_viber', `no online viber ${wanted}${offline}`);
  }
  return { viber: chosen, ...(environmentId ? { environmentId } : {}) };
}

async function findViber(deps: DelegationTargetDeps, idOrName: string): Promise<ViberRecord | null> {
  const byId = await deps.store.getViber(idOrName);
  if (byId && !byId.revokedAt) return byId;
  const named = (await deps.store.listVibers()).filter((viber) => viber.name === idOrName);
  return named.find((viber) => deps.connections.isOnline(viber.id)) ?? named[0] ?? null;
}

function describeWanted(target: DelegateTarget): string {
  const parts = [
    ...(target.capability ? [`with the capability "${target.capability}"`] : []),
    ...(target.environmentId ? [`where environment "${target.environmentId}" is ready`] : []),
  ];
  return parts.length > 0 ? parts.join(' and ') : 'that can take it';
}
