import { z } from 'zod';

/**
 * What an operator connection may do (architecture document, section 7: each connection declares
 * a role and scopes). Every route of the gateway names the scope it needs in the route table
 * (src/protocol/rest-routes.ts); the control plane enforces them from there, in one place.
 *
 * Reads of vibers and environments fall under `tasks.read`: an operator who may start and watch
 * tasks has to see where they can run. Writing an environment's secrets needs `secrets.write`
 * beside `environments.write`, so an operator may edit environments without holding their keys.
 */
export const OperatorScopeSchema = z.enum([
  'tasks.read',
  'tasks.write',
  'approvals',
  'vibers.admin',
  'terminals.read',
  'terminals.write',
  'environments.write',
  'secrets.write',
  'devices.admin',
]);
export type OperatorScope = z.infer<typeof OperatorScopeSchema>;

/**
 * Who may call a route: an operator holding the scope; `operator`, any signed-in operator whatever
 * its scopes (asking who it is); `public`, anyone (the health check and the sign-in exchange);
 * `node`, a viber with its own token (it reads only its own configuration).
 */
export const RouteAccessSchema = z.union([OperatorScopeSchema, z.enum(['operator', 'public', 'node'])]);
export type RouteAccess = z.infer<typeof RouteAccessSchema>;
