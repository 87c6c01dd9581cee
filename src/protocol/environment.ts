import { z } from 'zod';

/**
 * Environment messages (environments document, section 7). The environments issue owns their
 * details; they are listed here so both message unions include them from the start.
 */

/** A variable name a shell accepts: letters, digits and underscores, not starting with a digit. */
export const EnvVarNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a valid identifier (letters, digits, _; not starting with a digit)');

export const EnvironmentStatusSchema = z.enum(['preparing', 'ready', 'error']);
export type EnvironmentStatus = z.infer<typeof EnvironmentStatusSchema>;

/** What the daemon needs to prepare an environment. Secret values travel only here, to the viber. */
export const EnvironmentSpecSchema = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  type: z.enum(['github', 'local', 'manual']),
  repoUrl: z.string().max(2000).optional(),
  repoBranch: z.string().max(200).optional(),
  localPath: z.string().max(4096).optional(),
  workingDir: z.string().max(4096).optional(),
  setupScript: z.string().max(100_000).optional(),
  containerImage: z.string().max(500).optional(),
  networkAccess: z.boolean(),
  persistVolume: z.boolean(),
  variables: z.record(EnvVarNameSchema, z.string().max(100_000)),
  secrets: z.record(EnvVarNameSchema, z.string().max(100_000)),
});
export type EnvironmentSpec = z.infer<typeof EnvironmentSpecSchema>;

const commandId = z.string().min(1).max(200);
const bindingId = z.string().min(1).max(200);

export const environmentToViberSchemas = [
  z.strictObject({
    type: z.literal('environment:prepare'),
    commandId,
    bindingId,
    strategy: z.enum(['clone', 'existing']),
    environment: EnvironmentSpecSchema,
  }),
  z.strictObject({ type: z.literal('environment:sync'), commandId, bindingId, environment: EnvironmentSpecSchema }),
] as const;

export const environmentFromViberSchemas = [
  z.strictObject({
    type: z.literal('environment:status'),
    bindingId,
    status: EnvironmentStatusSchema,
    resolvedWorkingDir: z.string().max(4096).optional(),
    error: z.string().max(8000).optional(),
  }),
  /** One line of setup output, already redacted of every secret value by the daemon. */
  z.strictObject({
    type: z.literal('environment:log'),
    bindingId,
    stream: z.enum(['stdout', 'stderr', 'system']),
    line: z.string().max(16_000),
  }),
] as const;
