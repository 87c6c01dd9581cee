import {
  type AutonomyMode,
  describeZodError,
  type EffectiveModel,
  ModelRefSchema,
  type ModelSettingSource,
  type ModelSettingsPull,
} from '../protocol/index.ts';
import type { ConfigFile, ModelSettings, ProviderName } from './config.ts';

/**
 * The model a daemon's task uses, from three layers (docs/settings.md, "Precedence"): the daemon's
 * environment variables, then the gateway's settings, then `config/config.json`. The task's own
 * `options.model` and `options.mode` come before all three.
 *
 * Each setting is taken from the first layer that sets it, with one exception that protects the
 * machine's keys: when the base URL comes from the gateway, only the gateway's key is sent to it,
 * never a key of the daemon's environment or config.json (an operator could otherwise point the
 * machine's key at a server of their choosing).
 */
export interface ModelLayers {
  config: ConfigFile;
  env: NodeJS.ProcessEnv;
  /** The gateway's settings as last pulled; undefined before the first pull (or with no gateway). */
  gateway?: ModelSettingsPull | undefined;
}

interface Sourced<T> {
  value: T;
  source: ModelSettingSource;
  from?: string;
}

export type LayeredResolution =
  | { ok: true; settings: ModelSettings; mode: Sourced<AutonomyMode> }
  | { ok: false; message: string };

const KEY_VARIABLES: Record<ProviderName, string[]> = {
  openai: ['OPENAI_API_KEY', 'OPENVIBER_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY', 'OPENVIBER_API_KEY'],
  custom: ['OPENVIBER_API_KEY'],
};

const fromEnv = (env: NodeJS.ProcessEnv, name: string): Sourced<string> | undefined => {
  const value = env[name]?.trim();
  return value ? { value, source: 'env', from: name } : undefined;
};

/** The model of a task that names none (or names `requested`), and how to reach it. */
export function resolveLayeredModel(layers: ModelLayers, requested?: string): LayeredResolution {
  const resolved = resolveParts(layers, requested);
  if (!resolved.ok) return resolved;
  const { provider, modelId, baseURL, apiKey } = resolved;
  const label = layers.config.providers?.custom?.name;
  return {
    ok: true,
    settings: {
      provider,
      modelId,
      ...(baseURL ? { baseURL: baseURL.value } : {}),
      ...(apiKey ? { apiKey: apiKey.value } : {}),
      ...(provider === 'custom' && label ? { providerLabel: label } : {}),
    },
    mode: modeOf(layers),
  };
}

/** What the daemon reports: each part with its source, a key only as "set", and what is missing. */
export function describeEffectiveModel(layers: ModelLayers): EffectiveModel {
  const resolved = resolveParts(layers);
  const mode = modeOf(layers);
  const base: EffectiveModel = {
    mode: withSource(mode),
    ...(layers.gateway ? { gatewayVersion: layers.gateway.version } : {}),
  };
  if (!resolved.ok) {
    return {
      ...base,
      ...(resolved.model ? { model: withSource(resolved.model) } : {}),
      problem: resolved.message,
    };
  }
  return {
    ...base,
    model: withSource(resolved.model),
    provider: resolved.provider,
    ...(resolved.baseURL ? { baseURL: withSource(resolved.baseURL) } : {}),
    ...(resolved.apiKey
      ? {
          apiKey: {
            set: true as const,
            source: resolved.apiKey.source,
            ...(resolved.apiKey.from ? { from: resolved.apiKey.from } : {}),
          },
        }
      : {}),
  };
}

/** The mode of a task that names none: the gateway's, then config.json's, then agent-decides. */
export function modeOf(layers: ModelLayers): Sourced<AutonomyMode> {
  if (layers.gateway?.mode) return { value: layers.gateway.mode, source: 'gateway', from: 'mode' };
  const fromFile = layers.config.agent?.mode;
  if (fromFile) return { value: fromFile, source: 'config', from: 'agent.mode' };
  return { value: 'agent-decides', source: 'default' };
}

function withSource<T>(part: Sourced<T>): Sourced<T> {
  return { value: part.value, source: part.source, ...(part.from ? { from: part.from } : {}) };
}

type Parts =
  | {
      ok: true;
      model: Sourced<string>;
      provider: ProviderName;
      modelId: string;
      baseURL?: Sourced<string>;
      apiKey?: Sourced<string>;
    }
  | { ok: false; message: string; model?: Sourced<string> };

function resolveParts(layers: ModelLayers, requested?: string): Parts {
  const { config, env, gateway } = layers;
  const model: Sourced<string> | undefined = requested
    ? { value: requested, source: 'default', from: 'options.model' }
    : (fromEnv(env, 'OPENVIBER_MODEL') ??
      (gateway?.model ? { value: gateway.model, source: 'gateway', from: 'model' } : undefined) ??
      (config.model ? { value: config.model, source: 'config', from: 'model' } : undefined));
  if (!model) {
    return {
      ok: false,
      message:
        'No model configured. Set OPENVIBER_MODEL=<provider>/<model> (openai/gpt-4.1, anthropic/claude-sonnet-4-5, ' +
        'or custom/<model> with OPENVIBER_BASE_URL=http://host:port/v1 for any OpenAI-compatible server), ' +
        'a default model in the gateway\'s settings (board: Settings), or "model" in config/config.json.',
    };
  }
  const ref = ModelRefSchema.safeParse(model.value);
  if (!ref.success) {
    return {
      ok: false,
      model,
      message: `Model "${model.value}" ${describeZodError(ref.error).replace(/^\(root\): /, '')}.`,
    };
  }
  const slash = model.value.indexOf('/');
  const provider = model.value.slice(0, slash) as ProviderName;
  const modelId = model.value.slice(slash + 1);
  const fromFile = config.providers?.[provider];
  const gatewayHere = gateway && gateway.provider === provider ? gateway : undefined;
  const baseURL: Sourced<string> | undefined =
    fromEnv(env, 'OPENVIBER_BASE_URL') ??
    (gatewayHere?.baseURL ? { value: gatewayHere.baseURL, source: 'gateway', from: 'baseURL' } : undefined) ??
    (fromFile?.baseURL
      ? { value: fromFile.baseURL, source: 'config', from: `providers.${provider}.baseURL` }
      : undefined);
  const gatewayKey = gateway?.apiKeys[provider];
  const keyFromGateway: Sourced<string> | undefined = gatewayKey
    ? { value: gatewayKey, source: 'gateway', from: `apiKeys.${provider}` }
    : undefined;
  // The machine's keys go only to a base URL the machine chose (or the provider's own).
  const apiKey =
    baseURL?.source === 'gateway'
      ? keyFromGateway
      : (KEY_VARIABLES[provider].map((name) => fromEnv(env, name)).find(Boolean) ??
        keyFromGateway ??
        (fromFile?.apiKey
          ? { value: fromFile.apiKey, source: 'config' as const, from: `providers.${provider}.apiKey` }
          : undefined));
  if (provider === 'custom' && !baseURL) {
    return {
      ok: false,
      model,
      message: `Model "${model.value}" uses the custom OpenAI-compatible provider: set OPENVIBER_BASE_URL (for example http://127.0.0.1:11434/v1), the base URL in the gateway's settings, or providers.custom.baseURL in config/config.json.`,
    };
  }
  if (provider !== 'custom' && !apiKey) {
    const variable = KEY_VARIABLES[provider][0];
    return {
      ok: false,
      model,
      message:
        baseURL?.source === 'gateway'
          ? `Model "${model.value}" needs an API key: its base URL comes from the gateway's settings, so only a ${provider} key stored there is sent to it (board: Settings).`
          : `Model "${model.value}" needs an API key: set ${variable} (or OPENVIBER_API_KEY), a ${provider} key in the gateway's settings, or providers.${provider}.apiKey in config/config.json.`,
    };
  }
  return {
    ok: true,
    model,
    provider,
    modelId,
    ...(baseURL ? { baseURL } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}
