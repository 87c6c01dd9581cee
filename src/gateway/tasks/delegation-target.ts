import type { DelegateTarget } from '../../protocol/index.ts';
import type { GatewayStore, TaskRecord, ViberRecord } from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import { DelegationRefusal } from './delegation-refusal.ts';

export interface DelegationTargetDeps {
  store: Pick<GatewayStore, 'getViber' | 'listVibers' | 'getEnvironment' | 'findEnvironmentByName'>;
  connections: Pick<ConnectionRegistry, 'isOnline'>;
}

/** Where a child runs: the viber, and the environment id when one was asked for. */
export interface ChosenTarget {
  viber: ViberRecord;
  environmentId?: string;
}

/** An environment asked for: its id, and the vibers where it is ready (from its bindings). */
interface WantedEnvironment {
  id: string;
  ready: Set<string>;
  /** Why no viber qualifies through it, when none does: not mapped, or not ready anywhere. */
  unavailable?: string;
}

/**
 * The viber a delegated child runs on (docs/delegation.md): the one named (by id or name), else
 * one that has the capability and where the environment asked for is ready (read from the
 * environment's bindings), preferring the parent's own viber, else the parent's viber. Only an
 * online viber qualifies: a child waiting for a viber that may never come would hold its parent
 * forever.
 */
export async function chooseDelegationTarget(
  deps: DelegationTargetDeps,
  parent: TaskRecord,
  target: DelegateTarget,
): Promise<ChosenTarget> {
  const environment = target.environmentId ? await wantedEnvironment(deps, target.environmentId) : undefined;
  const fits = (viber: ViberRecord) =>
    (!target.capability || (viber.info?.capabilities ?? []).includes(target.capability)) &&
    (!environment || environment.ready.has(viber.id));
  const wanted = describeWanted(target);
  const placed = (viber: ViberRecord): ChosenTarget => ({
    viber,
    ...(environment ? { environmentId: environment.id } : {}),
  });

  if (target.viber) {
    const viber = await findViber(deps, target.viber);
    if (!viber) {
      throw new DelegationRefusal(
        'not_found',
        'not_found',
        `no viber is named or has the id "${target.viber}"`,
      );
    }
    if (!fits(viber)) {
      const why = environment?.unavailable ? `: ${environment.unavailable}` : '';
      throw new DelegationRefusal(
        'mismatch',
        'conflict',
        `viber ${viber.name} (${viber.id}) is not one ${wanted}${why}`,
      );
    }
    if (!deps.connections.isOnline(viber.id)) {
      throw new DelegationRefusal(
        'viber_offline',
        'viber_offline',
        `viber ${viber.name} (${viber.id}) is offline`,
      );
    }
    return placed(viber);
  }
  if (!target.capability && !environment) {
    const own = await deps.store.getViber(parent.viberId);
    if (!own) throw new DelegationRefusal('not_found', 'not_found', `viber ${parent.viberId} not found`);
    return { viber: own };
  }
  if (environment?.unavailable) throw new DelegationRefusal('no_viber', 'no_viber', environment.unavailable);
  // With an environment, only its ready bindings' vibers are read; without, every viber is.
  const vibers = environment
    ? (await Promise.all([...environment.ready].map((id) => deps.store.getViber(id)))).filter(
        (viber): viber is ViberRecord => viber !== null && !viber.revokedAt && fits(viber),
      )
    : (await deps.store.listVibers()).filter(fits);
  const online = vibers.filter((viber) => deps.connections.isOnline(viber.id));
  const chosen = online.find((viber) => viber.id === parent.viberId) ?? online[0];
  if (!chosen) {
    const offline = vibers.length > 0 ? ` (${vibers.length} such viber(s) are offline)` : '';
    throw new DelegationRefusal('no_viber', 'no_viber', `no online viber ${wanted}${offline}`);
  }
  return placed(chosen);
}

/** The environment named (id, else name) and where it is ready, from its bindings. */
async function wantedEnvironment(deps: DelegationTargetDeps, idOrName: string): Promise<WantedEnvironment> {
  const full =
    (await deps.store.getEnvironment(idOrName)) ?? (await deps.store.findEnvironmentByName(idOrName));
  if (!full) throw new DelegationRefusal('not_found', 'not_found', `environment ${idOrName} not found`);
  const { id, name } = full.environment;
  const ready = new Set(full.bindings.filter((binding) => binding.status === 'ready').map((b) => b.viberId));
  if (full.bindings.length === 0) {
    return { id, ready, unavailable: `environment ${name} is not mapped to any viber: map it first` };
  }
  if (ready.size === 0) {
    const states = full.bindings.map((binding) => `${binding.viberId}: ${binding.status}`).join(', ');
    return { id, ready, unavailable: `environment ${name} is not ready on any viber yet (${states})` };
  }
  return { id, ready };
}

async function findViber(deps: DelegationTargetDeps, idOrName: string): Promise<ViberRecord | null> {
  const byId = await deps.store.getViber(idOrName);
  if (byId && !byId.revokedAt) return byId;
  const named = (await deps.store.listVibers()).filter(
    (viber) => viber.name === idOrName && !viber.revokedAt,
  );
  return named.find((viber) => deps.connections.isOnline(viber.id)) ?? named[0] ?? null;
}

function describeWanted(target: DelegateTarget): string {
  const parts = [
    ...(target.capability ? [`with the capability "${target.capability}"`] : []),
    ...(target.environmentId ? [`where environment "${target.environmentId}" is ready`] : []),
  ];
  return parts.length > 0 ? parts.join(' and ') : 'that can take it';
}
