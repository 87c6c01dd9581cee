import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ModelSettings } from '../core/config.ts';

/**
 * The AI SDK language model for resolved settings (see resolveModelSettings in src/core/config.ts).
 * `custom` is any OpenAI-compatible chat completions endpoint (Ollama, vLLM, LM Studio, OpenRouter,
 * DeepSeek): usage is requested in the stream so budgets can count tokens.
 */
export function createLanguageModel(settings: ModelSettings): LanguageModel {
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
