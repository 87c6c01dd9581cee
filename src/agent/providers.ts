import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ModelSettings } from '../core/config.ts';

/** Models kept for reuse; past this many distinct settings the oldest is dropped. */
const MAX_CACHED_MODELS = 16;
const models = new Map<string, LanguageModel>();

/**
 * The AI SDK language model for resolved settings (see resolveModelSettings in src/core/config.ts).
 * `custom` is any OpenAI-compatible chat completions endpoint (Ollama, vLLM, LM Studio, OpenRouter,
 * DeepSeek): usage is requested in the stream so budgets can count tokens.
 *
 * Tasks with the same settings share one model: it holds only its configuration, every call is
 * independent, and building one is not cheap (a provider compiles its response schemas per model
 * instance, about 100 zod schemas for the OpenAI-compatible one), which a burst of tasks would
 * otherwise pay once per task, in CPU and in memory held until the task ends.
 */
export function createLanguageModel(settings: ModelSettings): LanguageModel {
  const key = JSON.stringify([
    settings.provider,
    settings.modelId,
    settings.baseURL ?? null,
    settings.apiKey ?? null,
    settings.providerLabel ?? null,
  ]);
  const cached = models.get(key);
  if (cached) return cached;
  const model = newLanguageModel(settings);
  if (models.size >= MAX_CACHED_MODELS) models.delete(models.keys().next().value!);
  models.set(key, model);
  return model;
}

function newLanguageModel(settings: ModelSettings): LanguageModel {
  switch (settings.provider) {
    case 'openai':
      return createOpenAI({
        apiKey: settings.apiKey,
        ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
      })(settings.modelId);
    case 'anthropic':
      return createAnthropic({
        apiKey: settings.apiKey,
        ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
      })(settings.modelId);
    case 'custom': {
      if (!settings.baseURL) throw new Error('the custom provider needs a base URL (OPENVIBER_BASE_URL)');
      return createOpenAICompatible({
        name: settings.providerLabel ?? 'custom',
        baseURL: settings.baseURL,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        includeUsage: true,
      }).chatModel(settings.modelId);
    }
  }
}

/** `provider/model`: the key of the budget price table and of log lines. */
export function modelRefOf(settings: ModelSettings): string {
  return `${settings.provider}/${settings.modelId}`;
}
