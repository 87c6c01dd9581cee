import { randomUUID } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type {
  ModelProvider,
  ModelSettingsPull,
  ModelSettingsView,
  ProviderKeyView,
  UpdateModelSettingsBody,
} from '../../protocol/index.ts';
import { MODEL_SETTINGS_CHANGED } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { SecretBox } from '../environments/secret-box.ts';
import type { ModelSettingsRecord, ProviderKeyRecord, SettingsStore } from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';

const PROVIDERS: readonly ModelProvider[] = ['openai', 'anthropic', 'custom'];
/** The associated data of a provider key is `model-settings\n<provider>`: it decrypts nowhere else. */
const KEY_CONTEXT = 'model-settings';

export interface ModelSettingsServiceDeps {
  store: SettingsStore;
  box: SecretBox;
  connections: Pick<ConnectionRegistry, 'all'>;
  /** Several gateways: a change is pushed to the vibers of every gateway, not only this one's. */
  bus?: TopicBus;
  log: Logger;
}

/**
 * The gateway's model settings (docs/settings.md): operators read them (keys as set or not set)
 * and patch them; every change asks the connected vibers to pull them (`config:push`), and a
 * viber that connects later pulls them when it connects. Key values exist in the clear only in a
 * request that sets one and in a viber's own pull.
 */
export class ModelSettingsService {
  readonly #deps: ModelSettingsServiceDeps;

  /** Tells this service's own notices from the other gateways'. */
  readonly #instance = randomUUID();

  constructor(deps: ModelSettingsServiceDeps) {
    this.#deps = deps;
    deps.bus?.subscribe(MODEL_SETTINGS_CHANGED, ({ from }) => {
      if (from !== this.#instance) this.#pushToVibers();
    });
  }

  async view(): Promise<ModelSettingsView> {
    return this.#toView(await this.#deps.store.getModelSettings());
  }

  async update(body: UpdateModelSettingsBody): Promise<ModelSettingsView> {
    const { box } = this.#deps;
    const now = new Date().toISOString();
    const keys = body.apiKeys ?? {};
    const saved = await this.#deps.store.updateModelSettings((current) => {
      const next = {
        provider: body.provider === undefined ? current.provider : body.provider,
        model: body.model === undefined ? current.model : body.model,
        baseURL: body.baseURL === undefined ? current.baseURL : body.baseURL,
        mode: body.mode === undefined ? current.mode : body.mode,
      };
      const modelProvider = next.model
        ? (next.model.slice(0, next.model.indexOf('/')) as ModelProvider)
        : null;
      next.provider ??= modelProvider;
      if (modelProvider && modelProvider !== next.provider) {
        throw new OpenViberError(
          'validation_failed',
          `model: "${next.model}" is not a model of provider ${next.provider}; use ${next.provider}/<model>`,
          400,
        );
      }
      if (next.provider === 'custom' && !next.baseURL) {
        throw new OpenViberError(
          'validation_failed',
          'baseURL: the custom provider needs the base URL of an OpenAI-compatible server (for example http://127.0.0.1:11434/v1)',
          400,
        );
      }
      const setKeys: ProviderKeyRecord[] = [];
      const deleteKeys: ModelProvider[] = [];
      for (const provider of PROVIDERS) {
        const value = keys[provider];
        if (value === null) deleteKeys.push(provider);
        if (typeof value !== 'string') continue;
        const existing = current.keys.find((key) => key.provider === provider);
        // The master key's problem (409) names the key, never its value.
        const sealed = box.encrypt(KEY_CONTEXT, `apiKeys.${provider}`, value);
        setKeys.push({ provider, ...sealed, createdAt: existing?.createdAt ?? now, updatedAt: now });
      }
      return {
        settings: { ...next, version: current.version + 1, updatedAt: now },
        setKeys,
        deleteKeys,
      };
    });
    const pushed = this.#pushToVibers();
    this.#deps.bus?.publish(MODEL_SETTINGS_CHANGED, { from: this.#instance, version: saved.version });
    this.#deps.log.info(
      {
        version: saved.version,
        provider: saved.provider,
        model: saved.model,
        keysSet: Object.keys(keys).filter((provider) => typeof keys[provider as ModelProvider] === 'string'),
        keysDeleted: Object.keys(keys).filter((provider) => keys[provider as ModelProvider] === null),
        pushedTo: pushed,
      },
      'model settings updated',
    );
    return this.#toView(saved);
  }

  /** A viber's own pull: the settings with every key the gateway can decrypt. */
  async pull(): Promise<ModelSettingsPull> {
    const settings = await this.#deps.store.getModelSettings();
    const apiKeys: ModelSettingsPull['apiKeys'] = {};
    for (const key of settings.keys) {
      const opened = this.#open(key);
      if (opened.ok) apiKeys[key.provider] = opened.value;
    }
    return {
      provider: settings.provider,
      model: settings.model,
      baseURL: settings.baseURL,
      mode: settings.mode,
      apiKeys,
      version: settings.version,
    };
  }

  /** Asks every connected viber to pull its configuration; how many were asked. */
  #pushToVibers(): number {
    let pushed = 0;
    for (const connection of this.#deps.connections.all()) {
      if (connection.ready && connection.send({ type: 'config:push' })) pushed += 1;
    }
    return pushed;
  }

  #open(key: ProviderKeyRecord) {
    return this.#deps.box.decrypt(KEY_CONTEXT, `apiKeys.${key.provider}`, key.encryptedValue, key.kmsKeyId);
  }

  #toView(settings: ModelSettingsRecord): ModelSettingsView {
    const keyView = (provider: ModelProvider): ProviderKeyView => {
      const key = settings.keys.find((candidate) => candidate.provider === provider);
      if (!key) return { set: false, updatedAt: null, readable: true };
      return { set: true, updatedAt: key.updatedAt, readable: this.#open(key).ok };
    };
    const unreadable = settings.keys.filter((key) => !this.#open(key).ok);
    const problem =
      unreadable.length > 0
        ? (this.#deps.box.problem ?? 'the keys were encrypted with another master key')
        : null;
    return {
      provider: settings.provider,
      model: settings.model,
      baseURL: settings.baseURL,
      mode: settings.mode,
      keys: { openai: keyView('openai'), anthropic: keyView('anthropic'), custom: keyView('custom') },
      version: settings.version,
      updatedAt: settings.updatedAt,
      ...(problem
        ? {
            problem: `API keys ${unreadable.map((key) => key.provider).join(', ')} cannot be decrypted: ${problem}; set them again`,
          }
        : {}),
    };
  }
}
