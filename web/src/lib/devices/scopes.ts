import type { DeviceView, OperatorScope } from '#lib/protocol.ts';

/** Every operator scope (src/protocol/operator-scopes.ts), in the order the board lists them. */
export const SCOPE_LABELS = {
  'tasks.read': 'See tasks, vibers and environments',
  'tasks.write': 'Start, steer and stop tasks',
  approvals: 'Approve or deny risky actions',
  'vibers.admin': 'Register vibers, push config',
  'terminals.read': 'Watch terminals',
  'terminals.write': 'Type into terminals',
  'environments.write': 'Create and edit environments',
  'secrets.write': "Write environments' secrets",
  'devices.admin': 'Pair, revoke and rotate devices',
} as const satisfies Record<OperatorScope, string>;

export const ALL_SCOPES = Object.keys(SCOPE_LABELS) as OperatorScope[];

/** What a new operator device gets unless the operator grants more: all but pairing others. */
export const DEFAULT_OPERATOR_SCOPES = ALL_SCOPES.filter((scope) => scope !== 'devices.admin');

/** Scopes in the board's order (the gateway keeps them in the order they were granted). */
export function sortScopes(scopes: readonly OperatorScope[]): OperatorScope[] {
  return ALL_SCOPES.filter((scope) => scopes.includes(scope));
}

/** A short summary: "all scopes", "all but devices.admin", or null to list them one by one. */
export function scopesSummary(scopes: readonly OperatorScope[]): string | null {
  if (ALL_SCOPES.every((scope) => scopes.includes(scope))) return 'all scopes';
  if (DEFAULT_OPERATOR_SCOPES.every((scope) => scopes.includes(scope))) return 'all but devices.admin';
  return null;
}

export const ROLE_LABELS = { operator: 'Operator', node: 'Viber' } as const;

/** A token-era device (the operator token, a viber added by hand): known by its token alone. */
export function isKeyless(device: DeviceView): boolean {
  return device.keyId === null;
}

/** A board browser (paired by its sign-in): it holds board sessions, not a device token. */
export function isBrowser(device: DeviceView): boolean {
  return device.id.startsWith('browser-') || device.name.startsWith('board browser');
}
