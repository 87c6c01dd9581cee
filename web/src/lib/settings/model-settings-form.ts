import type { AutonomyMode, ModelProvider, ModelSettingsView } from '#lib/protocol.ts';
import type { ModelSettingsPatch } from '../api/settings.ts';

/** What the Settings form edits; keys are new values only (the stored ones are never read). */
export interface ModelSettingsFormValues {
  provider: ModelProvider | '';
  /** The model's name without its provider: `gpt-4.1`. */
  modelName: string;
  baseURL: string;
  mode: AutonomyMode | '';
  newKeys: Partial<Record<ModelProvider, string>>;
  removedKeys: ModelProvider[];
}

export function formValuesOf(view: ModelSettingsView): ModelSettingsFormValues {
  return {
    provider: view.provider ?? '',
    modelName: view.model ? view.model.slice(view.model.indexOf('/') + 1) : '',
    baseURL: view.baseURL ?? '',
    mode: view.mode ?? '',
    newKeys: {},
    removedKeys: [],
  };
}

/** What the form can tell before the gateway does (the gateway checks everything again). */
export function formProblems(values: ModelSettingsFormValues): string[] {
  const problems: string[] = [];
  if (values.modelName.trim() && !values.provider) problems.push('Choose the provider of the default model.');
  if (/\s/.test(values.modelName.trim())) problems.push('The model name has no spaces (for example gpt-4.1).');
  if (values.provider === 'custom' && !values.baseURL.trim())
    problems.push('A custom provider needs the base URL of its OpenAI-compatible server.');
  if (values.baseURL.trim() && !/^https?:\/\/\S+$/.test(values.baseURL.trim()))
    problems.push('The base URL starts with http:// or https://.');
  for (const [provider, key] of Object.entries(values.newKeys)) {
    if (key && key.length < 8) problems.push(`The ${provider} key is too short.`);
  }
  return problems;
}

/** The whole form as a patch: every field set or cleared, keys only when typed or removed. */
export function patchOf(values: ModelSettingsFormValues): ModelSettingsPatch {
  const provider = values.provider || null;
  const modelName = values.modelName.trim();
  const apiKeys: NonNullable<ModelSettingsPatch['apiKeys']> = {};
  for (const removed of values.removedKeys) apiKeys[removed] = null;
  for (const [name, key] of Object.entries(values.newKeys)) {
    if (key) apiKeys[name as ModelProvider] = key;
  }
  return {
    provider,
    model: provider && modelName ? `${provider}/${modelName}` : null,
    baseURL: values.baseURL.trim() || null,
    mode: values.mode || null,
    ...(Object.keys(apiKeys).length > 0 ? { apiKeys } : {}),
  };
}
