import { z } from 'zod';
import { McpServerListSchema } from './mcp-server-config.ts';

/**
 * Environments on the wire (environments document, sections 5 and 7). Secret values never travel
 * in a WebSocket command, so they never sit in the gateway's command outbox: `environment:prepare`
 * and `environment:sync` name a binding, and the viber pulls the binding's specification (secret
 * values included, for its own bindings only) from `GET /api/vibers/:id/config` over its token.
 */

/** A variable name a shell accepts: letters, digits and underscores, not starting with a digit. */
export const EnvVarNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    'must be a valid identifier (letters, digits, _; not starting with a digit)',
  );

/** `github`: any git remote (GitHub, another host, a local bare repository); `local`: a path on
 * the viber; `manual`: no code, an empty working directory. */
export const EnvironmentTypeSchema = z.enum(['github', 'local', 'manual']);
export type EnvironmentType = z.infer<typeof EnvironmentTypeSchema>;

/** Map to Viber: clone (or pull) and set up, or use a path that already exists on the viber. */
export const BindingStrategySchema = z.enum(['clone', 'existing']);
export type BindingStrategy = z.infer<typeof BindingStrategySchema>;

/** A binding's state on the gateway: `pending` until the viber starts preparing; `stale` once the
 * environment changed after it was ready (a sync is on its way). */
export const BindingStatusSchema = z.enum(['pending', 'preparing', 'ready', 'error', 'stale']);
export type BindingStatus = z.infer<typeof BindingStatusSchema>;

/** What the viber reports while it prepares a binding. */
export const EnvironmentStatusSchema = z.enum(['preparing', 'ready', 'error']);
export type EnvironmentStatus = z.infer<typeof EnvironmentStatusSchema>;

export const SETUP_TIMEOUT_LIMITS = { defaultSeconds: 600, maxSeconds: 3600 } as const;

/**
 * What a viber needs to prepare an environment and run tasks in it. It reaches the viber only in
 * the config pull; the secret values in it live in the daemon's memory, never on its disk.
 */
export const EnvironmentSpecSchema = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  type: EnvironmentTypeSchema,
  /** Changes with every update: a binding prepared from an older version is stale. */
  version: z.number().int().min(1),
  repoUrl: z.string().max(2000).optional(),
  repoBranch: z.string().max(200).optional(),
  localPath: z.string().max(4096).optional(),
  /** Relative to the checkout (or local path): where setup and tasks run. */
  workingDir: z.string().max(4096).optional(),
  setupScript: z.string().max(100_000).optional(),
  setupTimeoutSeconds: z.number().int().min(1).max(SETUP_TIMEOUT_LIMITS.maxSeconds),
  containerImage: z.string().max(500).optional(),
  networkAccess: z.boolean(),
  persistVolume: z.boolean(),
  variables: z.record(EnvVarNameSchema, z.string().max(100_000)),
  secrets: z.record(EnvVarNameSchema, z.string().max(100_000)),
  /** Secrets the gateway holds but cannot decrypt (missing or wrong master key). */
  unreadableSecrets: z.array(EnvVarNameSchema).max(1000),
  /** MCP servers of the environment; `${secrets.NAME}` is resolved on the viber (docs/mcp.md). */
  mcpServers: McpServerListSchema.optional(),
});
export type EnvironmentSpec = z.infer<typeof EnvironmentSpecSchema>;

const commandId = z.string().min(1).max(200);
const bindingId = z.string().min(1).max(200);
const environmentId = z.string().min(1).max(200);
/** Bumped by every prepare or sync request: a report about an older generation is ignored. */
const generation = z.number().int().min(1);

export const environmentToViberSchemas = [
  /** Prepare the binding: materialise the code, inject variables, run setup, check health. */
  z.strictObject({ type: z.literal('environment:prepare'), commandId, bindingId, environmentId, generation }),
  /** The environment changed: prepare the binding again from its new version. */
  z.strictObject({ type: z.literal('environment:sync'), commandId, bindingId, environmentId, generation }),
] as const;

export const environmentFromViberSchemas = [
  z.strictObject({
    type: z.literal('environment:status'),
    bindingId,
    generation,
    status: EnvironmentStatusSchema,
    resolvedWorkingDir: z.string().max(4096).optional(),
    /** Already redacted of every secret value by the daemon. */
    error: z.string().max(8000).optional(),
  }),
  /** One line of preparation output, already redacted of every secret value by the daemon. */
  z.strictObject({
    type: z.literal('environment:log'),
    bindingId,
    generation,
    stream: z.enum(['stdout', 'stderr', 'system']),
    line: z.string().max(16_000),
  }),
] as const;
