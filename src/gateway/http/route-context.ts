import type { BodyVariables } from './read-body.ts';

/** The Hono environment of every gateway route: the request body as `readBody` read it. */
export type GatewayEnv = { Variables: BodyVariables };
