import { z } from 'zod';
import { AutonomyModeSchema, ModelRefSchema } from './task.ts';

/**
 * Model settings the gateway manages for every viber (docs/settings.md): provider, base URL,
 * default model and autonomy mode, and the providers' API keys, which are write-only.
 */

export const ModelProviderSchema = z.enum(['openai', 'anthropic', 'custom']);
export type ModelProvider = z.infer<typeof ModelProviderSchema>;

/** An http(s) URL: what a provider's base URL can be (no credentials in it, they would leak in views). */
export const ProviderBaseUrlSchema = z
  .string()
  .max(2000)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { message: 'must be an http:// or https:// URL without a user name or password' },
  );

/** A key as an API shows it: whether it is set and since when, never its value. */
export const ProviderKeyViewSchema = z.object({
  set: z.boolean(),
  updatedAt: z.iso.datetime().nullable(),
  /** False when the gateway's master key cannot decrypt it (it must be set again). */
  readable: z.boolean(),
});
export type ProviderKeyView = z.infer<typeof ProviderKeyViewSchema>;

/** `GET /api/settings/model`: the gateway's settings; `null` where a field is not set. */
export const ModelSettingsViewSchema = z.object({
  provider: ModelProviderSchema.nullable(),
  /** `provider/model`, the default model of every task that names none. */
  model: z.string().nullable(),
  baseURL: z.string().nullable(),
  mode: AutonomyModeSchema.nullable(),
  keys: z.object({
    openai: ProviderKeyViewSchema,
    anthropic: ProviderKeyViewSchema,
    custom: ProviderKeyViewSchema,
  }),
  /** Bumped by every change; a viber reports the version it applied. 0: never set. */
  version: z.number().int().min(0),
  updatedAt: z.iso.datetime().nullable(),
  /** Why stored keys cannot be used (the master key is missing or different), when they cannot. */
  problem: z.string().optional(),
});
export type ModelSettingsView = z.infer<typeof ModelSettingsViewSchema>;

/** A key's new value (sent once, never shown again), or `null` to delete it. */
const ProviderKeyInputSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(10_000)
  .refine((value) => value.trim() === value && !/\s/.test(value), 'must not contain white space')
  .nullable()
  .optional();

/**
 * `PUT /api/settings/model`: a patch. A field given is set, `null` clears it, a field left out
 * stays. Keys are write-only; setting or deleting one needs `secrets.write` too.
 */
export const UpdateModelSettingsBodySchema = z.strictObject({
  provider: ModelProviderSchema.nullable().optional(),
  model: ModelRefSchema.nullable().optional(),
  baseURL: ProviderBaseUrlSchema.nullable().optional(),
  mode: AutonomyModeSchema.nullable().optional(),
  apiKeys: z
    .strictObject({
      openai: ProviderKeyInputSchema,
      anthropic: ProviderKeyInputSchema,
      custom: ProviderKeyInputSchema,
    })
    .optional(),
});
export type UpdateModelSettingsBody = z.infer<typeof UpdateModelSettingsBodySchema>;

/**
 * `GET /api/vibers/:id/model-settings`, a viber's own token: the settings with the keys the
 * gateway can decrypt. Only in this answer, never stored or logged on either side.
 */
export const ModelSettingsPullSchema = z.object({
  provider: ModelProviderSchema.nullable(),
  model: z.string().nullable(),
  baseURL: z.string().nullable(),
  mode: AutonomyModeSchema.nullable(),
  apiKeys: z.object({
    openai: z.string().optional(),
    anthropic: z.string().optional(),
    custom: z.string().optional(),
  }),
  version: z.number().int().min(0),
});
export type ModelSettingsPull = z.infer<typeof ModelSettingsPullSchema>;

/**
 * Where a setting the daemon uses came from: its own environment variables (`env`), the gateway's
 * settings (`gateway`), its `config/config.json` (`config`), or the built-in default.
 */
export const ModelSettingSourceSchema = z.enum(['env', 'gateway', 'config', 'default']);
export type ModelSettingSource = z.infer<typeof ModelSettingSourceSchema>;

const SourcedSchema = z.object({
  source: ModelSettingSourceSchema,
  /** The variable or key it was read from: `OPENVIBER_MODEL`, `providers.custom.baseURL`. */
  from: z.string().max(200).optional(),
});

/**
 * What a running daemon uses for a task that names no model, and where each part came from (in
 * ViberInfo and each heartbeat). Never a key: only whether one is set, and where.
 */
export const EffectiveModelSchema = z.object({
  model: SourcedSchema.extend({ value: z.string().max(300) }).optional(),
  provider: ModelProviderSchema.optional(),
  baseURL: SourcedSchema.extend({ value: z.string().max(2000) }).optional(),
  apiKey: SourcedSchema.extend({ set: z.literal(true) }).optional(),
  mode: SourcedSchema.extend({ value: AutonomyModeSchema }),
  /** What is missing when no task could run with these settings (the task's own error). */
  problem: z.string().max(2000).optional(),
  /** The gateway settings' version the daemon applied; absent before its first pull. */
  gatewayVersion: z.number().int().min(0).optional(),
  /** Why the last pull of the gateway's settings failed (the daemon keeps the ones it had). */
  pullError: z.string().max(2000).optional(),
});
export type EffectiveModel = z.infer<typeof EffectiveModelSchema>;
