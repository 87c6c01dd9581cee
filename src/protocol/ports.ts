import { z } from 'zod';
import { BINARY_FRAME_KIND, decodeNamedFrame, encodeNamedFrame } from './binary-frame.ts';

/**
 * Ports (docs/ports.md): services a task, a terminal or an environment's setup started on the
 * viber, listed on request and reached by an operator through the gateway, HTTP and WebSocket,
 * over the viber's own connection. No port of the viber is ever opened to the network.
 *
 * Gateway -> daemon (JSON): `ports:list`, and per exchange (one proxied HTTP request, or one
 * WebSocket tunnel) `port:request`, `port:body` (request bytes, base64), `port:end` (the request
 * body is complete), `port:credit` (response bytes the gateway passed on: flow control) and
 * `port:cancel` (the client went away).
 * Daemon -> gateway: `ports:listed`; per exchange `port:response` (status and headers; 101 for a
 * tunnel), the body or tunnel bytes as binary frames of kind 4 (the exchange id as the name),
 * `port:ack` (request bytes written to the service), `port:done` and `port:failed`.
 */

export const PortNumberSchema = z.number().int().min(1).max(65_535);
export const PortExchangeIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an exchange id');
const exchangeId = PortExchangeIdSchema;
const requestId = z.string().min(1).max(200);

/**
 * Why a process's port counts as the viber's work (docs/ports.md, "Which ports are listed"): it
 * descends from the daemon, or from the daemon's tmux server, or works in an environment's checkout
 * or in the viber's workspace.
 */
export const PortOwnershipSchema = z.enum(['daemon', 'tmux', 'workspace', 'environment']);
export type PortOwnership = z.infer<typeof PortOwnershipSchema>;

/** One listening TCP port of the viber's work. */
export const ListedPortSchema = z.object({
  port: PortNumberSchema,
  /** The address it listens on: `127.0.0.1`, `0.0.0.0`, `::1`, `::`, ... */
  address: z.string().max(100),
  pid: z.number().int().min(1),
  /** The process's command line, joined with spaces (clipped). */
  command: z.string().max(1000),
  cwd: z.string().max(4096).nullable(),
  ownership: PortOwnershipSchema,
  /** The environment whose prepared workspace holds the process's working directory. */
  environmentId: z.string().max(200).optional(),
  /** The task whose folder (`<workspace>/<taskId>/...`) holds the process's working directory. */
  taskId: z.string().max(200).optional(),
  /** Whether a connection to it was accepted just now. */
  answers: z.boolean(),
  /** The status of an HTTP `HEAD /` when it answered HTTP. */
  httpStatus: z.number().int().min(100).max(999).optional(),
});
export type ListedPort = z.infer<typeof ListedPortSchema>;

/** Most bytes of request body one `port:body` carries (base64 of 48 KiB fits 64 Ki characters). */
export const MAX_PORT_BODY_CHUNK_BYTES = 48 * 1024;
/** Most bytes of a service's answer one binary frame carries. */
export const MAX_PORT_FRAME_BYTES = 256 * 1024;
/** Bytes of one exchange in flight, each way, before the sender waits for credit. */
export const PORT_WINDOW_BYTES = 1024 * 1024;

const HeaderListSchema = z.array(z.tuple([z.string().min(1).max(256), z.string().max(16 * 1024)])).max(200);
export type PortHeaderList = z.infer<typeof HeaderListSchema>;

/** The ways an exchange fails on the viber; the gateway answers each with its own status. */
export const PortFailureSchema = z.enum(['closed', 'not_viber_port', 'not_http', 'timeout', 'error', 'busy']);
export type PortFailure = z.infer<typeof PortFailureSchema>;

/** Gateway -> daemon. */
export const portsToViberSchemas = [
  z.strictObject({ type: z.literal('ports:list'), requestId }),
  z.strictObject({
    type: z.literal('port:request'),
    exchangeId,
    port: PortNumberSchema,
    method: z.string().regex(/^[A-Z]{1,20}$/),
    /** Path and query as the service sees them (the gateway's prefix and token removed). */
    path: z
      .string()
      .startsWith('/')
      .max(16 * 1024),
    headers: HeaderListSchema,
    /** A WebSocket upgrade: the answer is a tunnel of raw bytes both ways. */
    upgrade: z.boolean(),
    /** How long the service has to send its status line and headers. */
    timeoutMs: z.number().int().min(100).max(600_000),
  }),
  z.strictObject({
    type: z.literal('port:body'),
    exchangeId,
    data: z.base64().max(64 * 1024),
  }),
  z.strictObject({ type: z.literal('port:end'), exchangeId }),
  z.strictObject({ type: z.literal('port:credit'), exchangeId, bytes: z.number().int().min(1) }),
  z.strictObject({ type: z.literal('port:cancel'), exchangeId }),
] as const;

/** Daemon -> gateway. */
export const portsFromViberSchemas = [
  z.strictObject({
    type: z.literal('ports:listed'),
    requestId,
    ports: z.array(ListedPortSchema).max(1000),
    /** Discovery could not run here (not Linux, no /proc): said instead of an empty list. */
    unavailable: z.string().max(500).optional(),
  }),
  z.strictObject({
    type: z.literal('port:response'),
    exchangeId,
    status: z.number().int().min(100).max(999),
    headers: HeaderListSchema,
  }),
  z.strictObject({ type: z.literal('port:ack'), exchangeId, bytes: z.number().int().min(1) }),
  /** The answer (or the tunnel) ended; every byte of it was sent before this. */
  z.strictObject({ type: z.literal('port:done'), exchangeId }),
  z.strictObject({
    type: z.literal('port:failed'),
    exchangeId,
    failure: PortFailureSchema,
    message: z.string().max(2000),
  }),
] as const;

export function encodePortFrame(exchangeId: string, data: Uint8Array): Uint8Array {
  return encodeNamedFrame(BINARY_FRAME_KIND.portData, [exchangeId], data);
}

/** The exchange and its bytes (a view into `frame`), or undefined when this is not such a frame. */
export function decodePortFrame(frame: Uint8Array): { exchangeId: string; data: Uint8Array } | undefined {
  const decoded = decodeNamedFrame(BINARY_FRAME_KIND.portData, 1, frame);
  const id = decoded?.names[0];
  if (!decoded || id === undefined || !PortExchangeIdSchema.safeParse(id).success) return undefined;
  return { exchangeId: id, data: decoded.data };
}

/** Where the gateway serves opened ports: `/ports/<viberId>/<port>/<token>/<the service's path>`. */
export const PORT_PROXY_PREFIX = '/ports';

export function portProxyPath(viberId: string, port: number, token: string): string {
  return `${PORT_PROXY_PREFIX}/${encodeURIComponent(viberId)}/${port}/${token}/`;
}
