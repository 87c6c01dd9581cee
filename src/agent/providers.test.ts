import { describe, expect, it } from 'vitest';
import { createLanguageModel } from './providers.ts';

describe('createLanguageModel', () => {
  it('gives every task with the same settings the same model, and other settings their own', () => {
    const settings = {
      provider: 'custom' as const,
      modelId: 'test-model',
      baseURL: 'http://127.0.0.1:9/v1',
      apiKey: 'key-one',
    };
    const first = createLanguageModel(settings);
    expect(createLanguageModel({ ...settings })).toBe(first);
    for (const other of [
      { ...settings, apiKey: 'key-two' },
      { ...settings, baseURL: 'http://127.0.0.1:10/v1' },
      { ...settings, modelId: 'other-model' },
      { ...settings, providerLabel: 'ollama' },
    ]) {
      expect(createLanguageModel(other)).not.toBe(first);
    }
    expect(createLanguageModel({ provider: 'openai', modelId: 'gpt-test', apiKey: 'sk-one' })).not.toBe(
      first,
    );
  });
});
