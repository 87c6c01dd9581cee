import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { OpenViberError } from '../core/errors.ts';
import type { ModelSettingsPull } from '../protocol/index.ts';
import { GatewayModelSettings } from './gateway-model-settings.ts';

const KEY = 'sk-pulled-key-0042';
const pulled: ModelSettingsPull = {
  provider: 'custom',
  model: 'custom/pulled',
  baseURL: 'http://gateway.example/v1',
  mode: 'always-ask',
  apiKeys: { custom: KEY },
  version: 7,
};

function settingsWith(pulls: Array<ModelSettingsPull | Error>) {
  const keys: Array<Record<string, string>> = [];
  const settings = new GatewayModelSettings({
    pull: async () => {
      const next = pulls.shift();
      if (next instanceof Error) throw next;
      return next!;
    },
    config: () => ({ model: 'openai/from-file', providers: { openai: { apiKey: 'sk-file-key-0001' } } }),
    env: {},
    onKeys: (value) => keys.push(value),
    logger: pino({ level: 'silent' }),
  });
  return { settings, keys };
}

describe("the daemon's copy of the gateway's model settings", () => {
  it('applies a pull from the next task, and hands the keys to redaction', async () => {
    const { settings, keys } = settingsWith([pulled]);
    expect(settings.forTask().resolve()).toMatchObject({ ok: true, settings: { modelId: 'from-file' } });
    await settings.refresh();
    expect(settings.forTask().resolve()).toMatchObject({
      ok: true,
      settings: { provider: 'custom', modelId: 'pulled', apiKey: KEY },
    });
    expect(settings.forTask().mode).toBe('always-ask');
    expect(keys).toEqual([{ 'gateway custom key': KEY }]);
    expect(JSON.stringify(settings.effective())).not.toContain(KEY);
  });

  it('keeps the last settings when a pull fails, and says why', async () => {
    const { settings } = settingsWith([
      pulled,
      new Error('cannot reach the gateway for the model settings: ECONNREFUSED'),
    ]);
    await settings.refresh();
    await settings.refresh();
    expect(settings.effective()).toMatchObject({
      model: { value: 'custom/pulled', source: 'gateway' },
      gatewayVersion: 7,
      pullError: 'cannot reach the gateway for the model settings: ECONNREFUSED',
    });
  });

  it('treats a gateway without the route (404) as one without settings', async () => {
    const { settings } = settingsWith([new OpenViberError('bad_request', 'refused (404)', 404)]);
    await settings.refresh();
    const effective = settings.effective();
    expect(effective.pullError).toBeUndefined();
    expect(effective.gatewayVersion).toBeUndefined();
    expect(effective.model).toEqual({ value: 'openai/from-file', source: 'config', from: 'model' });
  });
});
