import { z } from 'zod';
import {
  BindingStatusSchema,
  BindingStrategySchema,
  EnvironmentSpecSchema,
  EnvironmentTypeSchema,
  EnvVarNameSchema,
  SETUP_TIMEOUT_LIMITS,
} from './environment.ts';
import { McpServerListSchema } from './mcp-server-config.ts';

/** REST bodies and views of environments (environments document, section 6). */

const MAX_VARIABLES = 200;
/** Shorter secret values would be found (and blanked) all over ordinary output. */
export const MIN_SECRET_LENGTH = 4;

/** A git remote: http(s)://, ssh://, git://, file://, scp-like `user@host:path`, or an absolute
 * path (a local bare repository). Never starting with `-`, which git would read as an option. */
export const RepoUrlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine(
    (url) =>
      /^(https?|ssh|git|file):\/\/[^\s]+$/.test(url) ||
      /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/.test(url) ||
      /^\/[^\s]*$/.test(url),
    'must be a git URL (https://, ssh://, git://, file://, user@host:path) or an absolute path',
  );

/** A branch name git accepts (the common subset): no spaces, no `..`, not starting with `-`. */
export const BranchSchema = z
  .string()
  .trim()
  .regex(
    /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,200}(?<![./]|\.lock)$/,
    'must be a git branch name (letters, digits, . _ / -)',
  );

/** A directory inside the checkout: relative, without `..`. */
export const RelativeDirSchema = z
  .string()
  .trim()
  .max(4096)
  .refine(
    (path) => !path.startsWith('/') && !path.split('/').includes('..'),
    'must be a path relative to the code root, without ..',
  );

export const AbsolutePathSchema = z
  .string()
  .trim()
  .max(4096)
  .refine((path) => path.startsWith('/') && !path.includes('\0'), 'must be an absolute path');

export const ContainerImageSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,499}$/,
    'must be an image reference such as node:22 or ghcr.io/org/image:tag',
  );

/**
 * A map of variable names to values. Keys are checked one by one so the error names the key:
 * `variables.1BAD: "1BAD" is not a valid variable name (...)`.
 */
function variableMap<V extends z.ZodType>(value: V, what: string) {
  return z.record(z.string(), value).superRefine((vars, context) => {
    const keys = Object.keys(vars);
    if (keys.length > MAX_VARIABLES)
      context.addIssue({ code: 'custom', message: `at most ${MAX_VARIABLES} ${what}` });
    for (const key of keys) {
      const parsed = EnvVarNameSchema.safeParse(key);
      if (!parsed.success) {
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key.slice(0, 130)}" is not a valid variable name (letters, digits and _, not starting with a digit)`,
        });
      }
    }
  });
}
const secretValue = z
  .string()
  .min(
    MIN_SECRET_LENGTH,
    `must be at least ${MIN_SECRET_LENGTH} characters: shorter values cannot be redacted from output`,
  )
  .max(100_000);
const variablesSchema = variableMap(z.string().max(100_000), 'variables');

const environmentFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000),
  type: EnvironmentTypeSchema,
  repoUrl: RepoUrlSchema,
  repoBranch: BranchSchema,
  localPath: AbsolutePathSchema,
  containerImage: ContainerImageSchema,
  workingDir: RelativeDirSchema,
  setupScript: z.string().max(100_000),
  setupTimeoutSeconds: z.number().int().min(1).max(SETUP_TIMEOUT_LIMITS.maxSeconds),
  networkAccess: z.boolean(),
  persistVolume: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
};

export const CreateEnvironmentBodySchema = z.strictObject({
  name: environmentFields.name,
  description: environmentFields.description.default(''),
  type: environmentFields.type,
  repoUrl: environmentFields.repoUrl.optional(),
  repoBranch: environmentFields.repoBranch.optional(),
  localPath: environmentFields.localPath.optional(),
  containerImage: environmentFields.containerImage.optional(),
  workingDir: environmentFields.workingDir.optional(),
  setupScript: environmentFields.setupScript.optional(),
  setupTimeoutSeconds: environmentFields.setupTimeoutSeconds.default(SETUP_TIMEOUT_LIMITS.defaultSeconds),
  networkAccess: environmentFields.networkAccess.default(true),
  persistVolume: environmentFields.persistVolume.default(true),
  variables: variablesSchema.default({}),
  /** Write-only: stored encrypted, never shown again. */
  secrets: variableMap(secretValue, 'secrets').default({}),
  metadata: environmentFields.metadata.default({}),
  /** MCP servers whose tools the environment's tasks get; values reference secrets as `${secrets.NAME}`. */
  mcpServers: McpServerListSchema.default([]),
});
export type CreateEnvironmentBody = z.infer<typeof CreateEnvironmentBodySchema>;

/**
 * PUT /api/environments/:id: fields given replace the stored ones (`null` clears an optional one).
 * `variables` replaces the whole set; `secrets` is a patch (a value sets, `null` deletes), because
 * the client never has the stored values to send back.
 */
export const UpdateEnvironmentBodySchema = z.strictObject({
  name: environmentFields.name.optional(),
  description: environmentFields.description.optional(),
  type: environmentFields.type.optional(),
  repoUrl: environmentFields.repoUrl.nullable().optional(),
  repoBranch: environmentFields.repoBranch.nullable().optional(),
  localPath: environmentFields.localPath.nullable().optional(),
  containerImage: environmentFields.containerImage.nullable().optional(),
  workingDir: environmentFields.workingDir.nullable().optional(),
  setupScript: environmentFields.setupScript.nullable().optional(),
  setupTimeoutSeconds: environmentFields.setupTimeoutSeconds.optional(),
  networkAccess: environmentFields.networkAccess.optional(),
  persistVolume: environmentFields.persistVolume.optional(),
  variables: variablesSchema.optional(),
  secrets: variableMap(secretValue.nullable(), 'secrets').optional(),
  metadata: environmentFields.metadata.optional(),
  /** Replaces the whole list. */
  mcpServers: McpServerListSchema.optional(),
});
export type UpdateEnvironmentBody = z.infer<typeof UpdateEnvironmentBodySchema>;

export const VariableViewSchema = z.object({ key: z.string(), value: z.string() });
/** A secret as every API shows it: its name and that it is set, never its value. */
export const SecretViewSchema = z.object({
  key: z.string(),
  set: z.literal(true),
  updatedAt: z.string(),
  /** False when the gateway's master key cannot decrypt it (missing or wrong key). */
  readable: z.boolean(),
});
export type SecretView = z.infer<typeof SecretViewSchema>;

export const BindingViewSchema = z.object({
  id: z.string(),
  environmentId: z.string(),
  viberId: z.string(),
  strategy: BindingStrategySchema,
  path: z.string().nullable(),
  resolvedWorkingDir: z.string().nullable(),
  status: BindingStatusSchema,
  generation: z.number().int(),
  lastPrepareAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type BindingView = z.infer<typeof BindingViewSchema>;

/** The board's status pill, derived from the bindings. */
export const EnvironmentPillSchema = z.enum(['unmapped', 'preparing', 'ready', 'error']);
export type EnvironmentPill = z.infer<typeof EnvironmentPillSchema>;

export const EnvironmentViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  type: EnvironmentTypeSchema,
  repoUrl: z.string().nullable(),
  repoOrg: z.string().nullable(),
  repoName: z.string().nullable(),
  repoBranch: z.string().nullable(),
  localPath: z.string().nullable(),
  containerImage: z.string().nullable(),
  workingDir: z.string().nullable(),
  setupScript: z.string().nullable(),
  setupTimeoutSeconds: z.number().int(),
  networkAccess: z.boolean(),
  persistVolume: z.boolean(),
  variables: z.array(VariableViewSchema),
  secrets: z.array(SecretViewSchema),
  metadata: z.record(z.string(), z.unknown()),
  version: z.number().int(),
  status: EnvironmentPillSchema,
  bindings: z.array(BindingViewSchema),
  /** As stored: secrets appear only as `${secrets.NAME}` references. */
  mcpServers: McpServerListSchema,
  /** Things the operator should know: unreadable secrets, for example. */
  problems: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type EnvironmentView = z.infer<typeof EnvironmentViewSchema>;

export const CreateBindingBodySchema = z.strictObject({
  viberId: z.string().min(1).max(200),
  /** Default: `existing` for a `local` environment, else `clone`. */
  strategy: BindingStrategySchema.optional(),
  /** For `existing`: the path on the viber (default: the environment's local path). */
  path: AbsolutePathSchema.optional(),
});
export type CreateBindingBody = z.infer<typeof CreateBindingBodySchema>;

export const BindingLogLineSchema = z.object({
  seq: z.number().int(),
  generation: z.number().int(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  line: z.string(),
  at: z.string(),
});
export type BindingLogLine = z.infer<typeof BindingLogLineSchema>;

export const BindingLogsResponseSchema = z.object({
  binding: BindingViewSchema,
  lines: z.array(BindingLogLineSchema),
});
export type BindingLogsResponse = z.infer<typeof BindingLogsResponseSchema>;

/** POST /api/environments/validate: the form's dry run. */
export const EnvironmentCheckSchema = z.object({
  name: z.enum(['fields', 'script_syntax', 'repository']),
  status: z.enum(['ok', 'failed', 'skipped']),
  message: z.string(),
});
export type EnvironmentCheck = z.infer<typeof EnvironmentCheckSchema>;
export const EnvironmentValidationResponseSchema = z.object({
  ok: z.boolean(),
  checks: z.array(EnvironmentCheckSchema),
});
export type EnvironmentValidationResponse = z.infer<typeof EnvironmentValidationResponseSchema>;

/** GET /api/vibers/:id/config (viber token): what this viber needs (environments document, 6.2). */
export const ViberBindingConfigSchema = z.object({
  id: z.string(),
  environmentId: z.string(),
  strategy: BindingStrategySchema,
  path: z.string().nullable(),
  status: BindingStatusSchema,
  generation: z.number().int(),
  resolvedWorkingDir: z.string().nullable(),
  environment: EnvironmentSpecSchema,
});
export type ViberBindingConfig = z.infer<typeof ViberBindingConfigSchema>;

export const ViberConfigPullSchema = z.object({
  viberId: z.string(),
  /** Changes whenever an environment or one of this viber's bindings does. */
  version: z.string(),
  generatedAt: z.string(),
  environments: z.array(
    z.object({ id: z.string(), name: z.string(), type: EnvironmentTypeSchema, version: z.number().int() }),
  ),
  bindings: z.array(ViberBindingConfigSchema),
});
export type ViberConfigPull = z.infer<typeof ViberConfigPullSchema>;
