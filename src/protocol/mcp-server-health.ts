import { z } from 'zod';

/**
 * How each MCP server of a viber is doing, as the daemon reports it in `connected` (ViberInfo) and
 * in every heartbeat (ViberStatus); the board's viber page and `viber status` show it.
 * - `idle`: configured, not started yet (servers start when a task first needs them);
 * - `starting`: the process or connection is being set up and initialised;
 * - `connected`: initialised, its tools listed;
 * - `failed`: it could not start, or died; `reason` says why (the daemon tries again with backoff);
 * - `disabled`: `enabled: false` in its configuration.
 */
export const McpServerStateSchema = z.enum(['idle', 'starting', 'connected', 'failed', 'disabled']);
export type McpServerState = z.infer<typeof McpServerStateSchema>;

export const McpServerHealthSchema = z.object({
  name: z.string().min(1).max(100),
  transport: z.enum(['stdio', 'http']),
  /** The environment the server belongs to; absent for the viber's own servers. */
  environment: z.object({ id: z.string().max(200), name: z.string().max(200) }).optional(),
  state: McpServerStateSchema,
  /** Why it failed; while it starts again, why its last attempt failed. Redacted of every secret
   * the daemon knows. */
  reason: z.string().max(2000).optional(),
  /** The tools the agent gets from it. */
  toolCount: z.number().int().min(0),
  /** Tools left out, each with why (an input schema that is not valid JSON Schema, say). */
  skippedTools: z
    .array(z.object({ name: z.string().max(200), reason: z.string().max(500) }))
    .max(100)
    .optional(),
  /** What the server said it is when it initialised. */
  serverInfo: z.object({ name: z.string().max(200), version: z.string().max(100) }).optional(),
  protocolVersion: z.string().max(50).optional(),
  /** When the state last changed. */
  since: z.iso.datetime(),
  /** When a failed server is tried again, if the daemon has scheduled it. */
  retryAt: z.iso.datetime().optional(),
});
export type McpServerHealth = z.infer<typeof McpServerHealthSchema>;
