import { z } from 'zod';
import { ListedPortSchema } from './ports.ts';
import type { RestRoute } from './rest-route.ts';

/** A viber's id and a port in a path. */
export const ViberPortParamsSchema = z.strictObject({
  id: z.string().min(1).max(200),
  port: z.coerce.number().int().min(1).max(65_535),
});

/** `GET /api/vibers/:id/ports`: the listening ports of the viber's work, asked of the viber now. */
export const ViberPortsResponseSchema = z.object({
  viberId: z.string(),
  ports: z.array(ListedPortSchema),
  /** Why the viber cannot list ports (discovery needs Linux's /proc); the list is then empty. */
  unavailable: z.string().optional(),
});
export type ViberPortsResponse = z.infer<typeof ViberPortsResponseSchema>;

/** One bound viber's answer for an environment: its ports in that environment, or why there are none. */
export const EnvironmentViberPortsSchema = z.object({
  viberId: z.string(),
  viberName: z.string(),
  ports: z.array(ListedPortSchema),
  /** The viber is offline, on another gateway, or cannot list ports: why. */
  problem: z.string().optional(),
});

/** `GET /api/environments/:id/ports`: per viber the environment is bound to. */
export const EnvironmentPortsResponseSchema = z.object({
  environmentId: z.string(),
  vibers: z.array(EnvironmentViberPortsSchema),
});
export type EnvironmentPortsResponse = z.infer<typeof EnvironmentPortsResponseSchema>;

/** Default and longest life of an opened port's URL. */
export const PORT_LINK_DEFAULT_TTL_SECONDS = 3600;
export const PORT_LINK_MAX_TTL_SECONDS = 24 * 3600;

export const OpenPortBodySchema = z.strictObject({
  /** How long the URL works (default an hour, at most a day). */
  ttlSeconds: z.number().int().min(60).max(PORT_LINK_MAX_TTL_SECONDS).optional(),
});
export type OpenPortBody = z.infer<typeof OpenPortBodySchema>;

/** `POST /api/vibers/:id/ports/:port/open`: the capability URL of the port. */
export const OpenPortResponseSchema = z.object({
  viberId: z.string(),
  port: z.number().int(),
  /** `/ports/<viberId>/<port>/<token>/`: the token is the whole credential; treat it as a secret. */
  path: z.string(),
  /** `path` on the origin the request came to. */
  url: z.string(),
  expiresAt: z.string(),
});
export type OpenPortResponse = z.infer<typeof OpenPortResponseSchema>;

/** Listing and opening the services a viber's work listens on (docs/ports.md). */
export const PORT_ROUTES = {
  'ports.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/vibers/:id/ports',
    scope: 'terminals.read',
    summary:
      "The TCP ports the viber's work listens on (processes of its tasks, terminals and workspaces), with process and status.",
    params: z.strictObject({ id: z.string().min(1).max(200) }),
    responses: { 200: ViberPortsResponseSchema },
    idempotencyKey: false,
  },
  'ports.environmentList': {
    kind: 'json',
    method: 'GET',
    path: '/api/environments/:id/ports',
    scope: 'terminals.read',
    summary: "The ports of an environment's work, asked of each viber it is bound to.",
    params: z.strictObject({ id: z.string().min(1).max(200) }),
    responses: { 200: EnvironmentPortsResponseSchema },
    idempotencyKey: false,
  },
  'ports.open': {
    kind: 'json',
    method: 'POST',
    path: '/api/vibers/:id/ports/:port/open',
    scope: 'terminals.write',
    summary:
      'Mints a short-lived URL through which the port is reached (HTTP and WebSocket), sandboxed away from the board.',
    params: ViberPortParamsSchema,
    body: OpenPortBodySchema,
    responses: { 201: OpenPortResponseSchema },
    idempotencyKey: false,
  },
} as const satisfies Record<string, RestRoute>;
