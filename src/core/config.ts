import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  AutonomyModeSchema,
  describeZodError,
  McpServerListSchema,
  ModelRefSchema,
  mcpSecretReferences,
} from '../protocol/index.ts';
import { OpenViberError } from './errors.ts';
import type { OpenViberHome } from './home.ts';

const ProviderSettingsSchema = z.strictObject({
  apiKey: z.string().min(1).optional(),
  baseURL: z.url().optional(),
});

const LimitSchema = z.strictObject({
  tokens: z.number().int().positive().optional(),
  costUsd: z.number().positive().optional(),
});

/** Price of a model in US dollars per million tokens, keyed by `provider/model`. */
const PriceSchema = z.strictObject({
  inputPerMillion: z.number().min(0),
  outputPerMillion: z.number().min(0),
});

/**
 * `$OPENVIBER_HOME/config/config.json`: one schema, unknown keys rejected, errors that name the
 * file and the field. Environment variables override it (see resolveModelSettings).
 */
export const ConfigFileSchema = z.strictObject({
  model: ModelRefSchema.optional(),
  providers: z
    .strictObject({
      openai: ProviderSettingsSchema.optional(),
      anthropic: ProviderSettingsSchema.optional(),
      /** Any OpenAI-compatible endpoint: Ollama, vLLM, LM Studio, OpenRouter, DeepSeek. */
      custom: ProviderSettingsSchema.extend({ name: z.string().min(1).max(100).optional() }).optional(),
    })
    .optional(),
  agent: z
    .strictObject({
      mode: AutonomyModeSchema.optional(),
      maxSteps: z.number().int().min(1).max(1000).optional(),
      /** Shell command patterns that run without approval in agent-decides mode. */
      allow: z.array(z.string().min(1)).optional(),
      /** Extra command patterns no mode may run. */
      deny: z.array(z.string().min(1)).optional(),
      /**
       * Names of the daemon's variables passed to the processes tools start, beyond PATH, HOME,
       * LANG, LC_*, TERM and the like (e.g. GOPATH, HTTPS_PROXY). Nothing else is passed.
       */
      env: z
        .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'))
        .max(200)
        .optional(),
    })
    .optional(),
  budget: z
    .strictObject({
      perTask: LimitSchema.optional(),
      perDay: LimitSchema.optional(),
      prices: z.record(z.string(), PriceSchema).optional(),
    })
    .optional(),
  /** MCP servers whose tools every task of this viber gets (docs/mcp.md). */
  mcpServers: McpServerListSchema.superRefine((servers, context) => {
    servers.forEach((server, index) => {
      for (const reference of mcpSecretReferences(server)) {
        context.addIssue({
          code: 'custom',
          path: [index, ...splitOnce(reference.path)],
          message: `\${secrets.${reference.name}} is resolved only in an environment's MCP servers, not in config.json`,
        });
      }
    });
  }).optional(),
  /** Agent Skills (docs/skills.md): the hub index `viber skill search|add <name>` reads. */
  skills: z
    .strictObject({
      /** A URL or a path of a hub index; OPENVIBER_SKILL_HUB overrides it. */
      hub: z.string().min(1).optional(),
    })
    .optional(),
  daemon: z
    .strictObject({
      server: z.string().optional(),
      viberId: z.string().optional(),
      name: z.string().optional(),
      heartbeatIntervalMs: z.number().int().min(100).optional(),
    })
    .optional(),
  /**
   * `viber gateway` and `viber up` on several gateways (docs/deploy.md, "Scale-out"): the shared
   * PostgreSQL store and the Redis bus; the flags and OPENVIBER_STORE_URL/OPENVIBER_BUS_URL come first.
   */
  gateway: z
    .strictObject({
      store: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
      bus: z
        .string()
        .regex(/^rediss?:\/\//, 'must be a redis:// URL')
        .optional(),
    })
    .optional(),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** `env.TOKEN` -> ['env', 'TOKEN'] (a header name may itself hold dots). */
function splitOnce(path: string): string[] {
  const dot = path.indexOf('.');
  return dot === -1 ? [path] : [path.slice(0, dot), path.slice(dot + 1)];
}

export function configPath(home: OpenViberHome): string {
  return join(home.config, 'config.json');
}

/** Reads and validates config.json; a missing file is an empty config. */
export function loadConfig(home: OpenViberHome): ConfigFile {
  const path = configPath(home);
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new OpenViberError('validation_failed', `${path}: invalid JSON: ${(error as Error).message}`);
  }
  const parsed = ConfigFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new OpenViberError('validation_failed', `${path}: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

export type ProviderName = 'openai' | 'anthropic' | 'custom';

export interface ModelSettings {
  provider: ProviderName;
  modelId: string;
  apiKey?: string;
  baseURL?: string;
  /** Display name of a custom provider. */
  providerLabel?: string;
}

/**
 * Which model a task uses and how to reach it: the task's own choice, then OPENVIBER_MODEL, then
 * config.json. Keys come from OPENVIBER_API_KEY / OPENAI_API_KEY / ANTHROPIC_API_KEY or the config.
 * Returns an error message that says exactly what to set when nothing usable is configured.
 */
export function resolveModelSettings(
  config: ConfigFile,
  env: NodeJS.ProcessEnv,
  requested?: string,
): { ok: true; settings: ModelSettings } | { ok: false; message: string } {
  const ref = requested ?? env.OPENVIBER_MODEL?.trim() ?? config.model;
  if (!ref) {
    return {
      ok: false,
      message:
        'No model configured. Set OPENVIBER_MODEL=<provider>/<model> (openai/gpt-4.1, anthropic/claude-sonnet-4-5, ' +
        'or custom/<model> with OPENVIBER_BASE_URL=http://host:port/v1 for any OpenAI-compatible server), ' +
        'or "model" in config/config.json.',
    };
  }
  const parsedRef = ModelRefSchema.safeParse(ref);
  if (!parsedRef.success) {
    return {
      ok: false,
      message: `Model "${ref}" ${describeZodError(parsedRef.error).replace(/^\(root\): /, '')}.`,
    };
  }
  const slash = ref.indexOf('/');
  const provider = ref.slice(0, slash) as ProviderName;
  const modelId = ref.slice(slash + 1);
  const fromFile = config.providers?.[provider];
  if (provider === 'custom') {
    const baseURL = env.OPENVIBER_BASE_URL?.trim() || fromFile?.baseURL;
    if (!baseURL) {
      return {
        ok: false,
        message: `Model "${ref}" uses the custom OpenAI-compatible provider: set OPENVIBER_BASE_URL (for example http://127.0.0.1:11434/v1) or providers.custom.baseURL in config/config.json.`,
      };
    }
    const apiKey = env.OPENVIBER_API_KEY?.trim() || fromFile?.apiKey;
    const label = config.providers?.custom?.name;
    return {
      ok: true,
      settings: {
        provider,
        modelId,
        baseURL,
        ...(apiKey ? { apiKey } : {}),
        ...(label ? { providerLabel: label } : {}),
      },
    };
  }
  const keyVariable = provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
  const apiKey = env[keyVariable]?.trim() || env.OPENVIBER_API_KEY?.trim() || fromFile?.apiKey;
  if (!apiKey) {
    return {
      ok: false,
      message: `Model "${ref}" needs an API key: set ${keyVariable} (or OPENVIBER_API_KEY, or providers.${provider}.apiKey in config/config.json).`,
    };
  }
  const baseURL = env.OPENVIBER_BASE_URL?.trim() || fromFile?.baseURL;
  return { ok: true, settings: { provider, modelId, apiKey, ...(baseURL ? { baseURL } : {}) } };
}
