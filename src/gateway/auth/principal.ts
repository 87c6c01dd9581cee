import {
  type DeviceRole,
  type OperatorScope,
  OperatorScopeSchema,
  type RestRoute,
  type RouteAccess,
} from '../../protocol/index.ts';

/** Every operator scope: what the token-era operator token had. */
export const ALL_OPERATOR_SCOPES: readonly OperatorScope[] = OperatorScopeSchema.options;

/** Who is calling: a paired device, in a role, with the scopes it was granted. */
export interface Principal {
  deviceId: string;
  role: DeviceRole;
  scopes: ReadonlySet<OperatorScope>;
  /** A bearer token (CLI, API), a board session cookie (same-origin checks apply), or a socket handshake. */
  via: 'bearer' | 'session' | 'socket';
  /** A node: the viber it runs as. */
  viberId?: string;
  /** When the board session ends (`via: 'session'` only). */
  sessionExpiresAt?: string;
}

/** Whether the principal may call a route with this access (before any further condition). */
export function allows(principal: Principal | undefined, access: RouteAccess): boolean {
  if (access === 'public') return true;
  if (!principal) return false;
  if (access === 'node') return principal.role === 'node';
  if (principal.role !== 'operator') return false;
  return access === 'operator' || principal.scopes.has(access);
}

/**
 * The scope this request lacks, or undefined when the principal may make it: the route's own
 * access, then each further scope whose condition applies to the request.
 */
export function missingScope(
  principal: Principal | undefined,
  route: Pick<RestRoute, 'scope' | 'alsoNeeds'>,
  request: { query: Readonly<Record<string, string | undefined>>; body: unknown },
): RouteAccess | undefined {
  if (!allows(principal, route.scope)) return route.scope;
  for (const condition of route.alsoNeeds ?? []) {
    if (condition.applies(request) && !allows(principal, condition.scope)) return condition.scope;
  }
  return undefined;
}
