import type { ProviderName } from '../core/config.ts';
import type { AutonomyMode } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';
import { checkProvider, type ProviderCheck } from './provider-check.ts';
import { Spinner } from './spinner.ts';

/** What `viber onboard` settles, from flags or from the wizard. */
export interface OnboardChoices {
  provider: ProviderName;
  /** Required for `custom`; otherwise only when the provider is reached through a proxy. */
  baseURL?: string;
  /** Undefined keeps a key config.json already holds for this provider (or none, for custom). */
  apiKey?: string;
  /** `provider/model`. */
  model: string;
  mode?: AutonomyMode;
  /** Display name of a custom provider (ollama, vllm, ...). */
  name?: string;
}

export const PROVIDERS = ['openai', 'anthropic', 'custom'] as const satisfies readonly ProviderName[];

/** A sensible first model where the provider's own list is too long to guess from. */
export const DEFAULT_MODELS: Record<ProviderName, string | undefined> = {
  openai: 'gpt-4.1',
  anthropic: 'claude-sonnet-4-5',
  custom: undefined,
};

/** `llama3.1` -> `custom/llama3.1`; a model of another provider is a mistake worth stopping for. */
export function qualifyModel(provider: ProviderName, model: string): string {
  const slash = model.indexOf('/');
  const prefix = slash === -1 ? '' : model.slice(0, slash);
  if ((PROVIDERS as readonly string[]).includes(prefix)) {
    if (prefix !== provider)
      throw new CliError(`--model ${model} is a model of ${prefix}, but the provider is ${provider}`, 2);
    return model;
  }
  return `${provider}/${model}`;
}

/** The config document with the choices merged in; everything else in it is kept. */
export function applyChoices(
  document: Record<string, unknown>,
  choices: OnboardChoices,
): Record<string, unknown> {
  const providers = { ...((document.providers as Record<string, unknown> | undefined) ?? {}) };
  const previous = (providers[choices.provider] as Record<string, unknown> | undefined) ?? {};
  providers[choices.provider] = {
    ...previous,
    ...(choices.baseURL ? { baseURL: choices.baseURL } : {}),
    ...(choices.apiKey ? { apiKey: choices.apiKey } : {}),
    ...(choices.name ? { name: choices.name } : {}),
  };
  const agent = (document.agent as Record<string, unknown> | undefined) ?? {};
  return {
    ...document,
    model: choices.model,
    providers,
    ...(choices.mode ? { agent: { ...agent, mode: choices.mode } } : {}),
  };
}

/** The key or endpoint checked with one request that spends no tokens, with a spinner meanwhile. */
export async function checkWithProgress(
  choices: OnboardChoices,
  apiKey: string | undefined,
): Promise<ProviderCheck> {
  const spinner = new Spinner();
  spinner.start(`checking ${choices.provider}${choices.baseURL ? ` at ${choices.baseURL}` : ''}`);
  try {
    return await checkProvider({
      provider: choices.provider,
      ...(choices.baseURL ? { baseURL: choices.baseURL } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
  } finally {
    spinner.stop();
  }
}
