import type { Principal } from '../auth/principal.ts';
import type { BodyVariables } from './read-body.ts';

/**
 * The Hono environment of every gateway route: the request body as `readBody` read it, and who
 * is calling once `authenticateRequests` has decided (absent on public routes).
 */
export type GatewayEnv = { Variables: BodyVariables & { principal?: Principal } };
