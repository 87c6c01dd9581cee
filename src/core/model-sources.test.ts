import { describe, expect, it } from 'vitest';
import type { ModelSettingsPull } from '../protocol/index.ts';
import type { ConfigFile } from './config.ts';
import { describeEffectiveModel, resolveLayeredModel } from './model-sources.ts';

const GATEWAY_KEY = 'sk-gateway-key-0001';
const ENV_KEY = 'sk-env-key-0002';
const FILE_KEY = 'sk-file-key-0003';

const gateway = (fields: Partial<ModelSettingsPull> = {}): ModelSettingsPull => ({
  provider: 'custom',
  model: 'custom/gateway-model',
  baseURL: 'http://gateway.example/v1',
  mode: 'always-ask',
  apiKeys: { custom: GATEWAY_KEY },
  version: 3,
  ...fields,
});
const file: ConfigFile = {
  model: 'openai/file-model',
  providers: { openai: { apiKey: FILE_KEY, baseURL: 'http://file.example/v1' } },
  agent: { mode: 'always-execute' },
};

describe('model settings precedence: daemon environment > gateway settings > config.json', () => {
  it('takes the gateway settings over config.json', () => {
    const resolved = resolveLayeredModel({ config: file, env: {}, gateway: gateway() });
    expect(resolved).toEqual({
      ok: true,
      settings: {
        provider: 'custom',
        modelId: 'gateway-model',
        baseURL: 'http://gateway.example/v1',
        apiKey: GATEWAY_KEY,
      },
      mode: { value: 'always-ask', source: 'gateway', from: 'mode' },
    });
  });

  it("takes the daemon's environment variables over the gateway settings", () => {
    const env = {
      OPENVIBER_MODEL: 'custom/env-model',
      OPENVIBER_BASE_URL: 'http://env.example/v1',
      OPENVIBER_API_KEY: ENV_KEY,
    };
    const resolved = resolveLayeredModel({ config: file, env, gateway: gateway() });
    expect(resolved.ok && resolved.settings).toEqual({
      provider: 'custom',
      modelId: 'env-model',
      baseURL: 'http://env.example/v1',
      apiKey: ENV_KEY,
    });
    expect(describeEffectiveModel({ config: file, env, gateway: gateway() })).toMatchObject({
      model: { value: 'custom/env-model', source: 'env', from: 'OPENVIBER_MODEL' },
      baseURL: { value: 'http://env.example/v1', source: 'env', from: 'OPENVIBER_BASE_URL' },
      apiKey: { set: true, source: 'env', from: 'OPENVIBER_API_KEY' },
      // No variable sets the mode: the gateway's applies.
      mode: { value: 'always-ask', source: 'gateway' },
      gatewayVersion: 3,
    });
  });

  it('falls back to config.json part by part, and to agent-decides for the mode', () => {
    const layers = {
      config: file,
      env: {},
      gateway: gateway({ model: null, provider: null, baseURL: null, mode: null, apiKeys: {} }),
    };
    expect(describeEffectiveModel(layers)).toEqual({
      model: { value: 'openai/file-model', source: 'config', from: 'model' },
      provider: 'openai',
      baseURL: { value: 'http://file.example/v1', source: 'config', from: 'providers.openai.baseURL' },
      apiKey: { set: true, source: 'config', from: 'providers.openai.apiKey' },
      mode: { value: 'always-execute', source: 'config', from: 'agent.mode' },
      gatewayVersion: 3,
    });
    expect(describeEffectiveModel({ config: {}, env: {}, gateway: undefined }).mode).toEqual({
      value: 'agent-decides',
      source: 'default',
    });
  });

  it("never sends the machine's own key to a base URL the gateway chose", () => {
    // The gateway points openai at its URL and stores no openai key; the daemon has one.
    const layers = {
      config: file,
      env: { OPENAI_API_KEY: ENV_KEY },
      gateway: gateway({
        provider: 'openai',
        model: 'openai/gpt-x',
        baseURL: 'http://elsewhere.example/v1',
        apiKeys: {},
      }),
    };
    const resolved = resolveLayeredModel(layers);
    expect(resolved.ok).toBe(false);
    expect(!resolved.ok && resolved.message).toContain("its base URL comes from the gateway's settings");
    expect(JSON.stringify(describeEffectiveModel(layers))).not.toContain(ENV_KEY);
    // With the gateway's own key it works, and the machine's key is not the one used.
    const withKey = resolveLayeredModel({
      ...layers,
      gateway: { ...layers.gateway, apiKeys: { openai: GATEWAY_KEY } },
    });
    expect(withKey.ok && withKey.settings.apiKey).toBe(GATEWAY_KEY);
    // The machine's key still goes to its own base URL (or the provider's).
    const ownUrl = resolveLayeredModel({
      ...layers,
      env: { ...layers.env, OPENVIBER_BASE_URL: 'http://mine.example/v1' },
    });
    expect(ownUrl.ok && ownUrl.settings).toMatchObject({
      apiKey: ENV_KEY,
      baseURL: 'http://mine.example/v1',
    });
  });

  it("applies the gateway's base URL only to the gateway's provider", () => {
    const resolved = resolveLayeredModel({ config: file, env: {}, gateway: gateway() }, 'openai/gpt-task');
    expect(resolved.ok && resolved.settings).toEqual({
      provider: 'openai',
      modelId: 'gpt-task',
      baseURL: 'http://file.example/v1',
      apiKey: FILE_KEY,
    });
  });

  it('says what is missing, and never shows a key in what the daemon reports', () => {
    const none = describeEffectiveModel({ config: {}, env: {}, gateway: undefined });
    expect(none.problem).toMatch(/^No model configured\. Set OPENVIBER_MODEL=.*gateway's settings/);
    const layers = { config: file, env: { OPENAI_API_KEY: ENV_KEY }, gateway: gateway() };
    const text = JSON.stringify(describeEffectiveModel(layers));
    for (const key of [GATEWAY_KEY, ENV_KEY, FILE_KEY]) expect(text).not.toContain(key);
    expect(describeEffectiveModel(layers).apiKey).toEqual({
      set: true,
      source: 'gateway',
      from: 'apiKeys.custom',
    });
  });
});
