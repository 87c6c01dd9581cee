import type { ConfigFile } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import {
  describeEffectiveModel,
  type ModelLayers,
  modeOf,
  resolveLayeredModel,
} from '../core/model-sources.ts';
import type { AutonomyMode, EffectiveModel, ModelSettingsPull } from '../protocol/index.ts';

export interface GatewayModelSettingsOptions {
  pull(): Promise<ModelSettingsPull>;
  config(): ConfigFile;
  env: NodeJS.ProcessEnv;
  /** The gateway's keys, by name, for redaction; called after each pull that changed them. */
  onKeys(keys: Record<string, string>): void;
  logger: Logger;
}

/**
 * The gateway's model settings as this daemon last pulled them (docs/settings.md), in memory only.
 * Pulled on every connection and on `config:push`; a failed pull keeps the settings it had and
 * says why in what the daemon reports. A task resolves its model when it starts, so a change
 * applies from the next task, with no restart.
 */
export class GatewayModelSettings {
  readonly #options: GatewayModelSettingsOptions;
  #current: ModelSettingsPull | undefined;
  #pullError: string | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(options: GatewayModelSettingsOptions) {
    this.#options = options;
  }

  /** Pulls again; never rejects. Concurrent calls share one pull. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#pull().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  layers(): ModelLayers {
    return { config: this.#options.config(), env: this.#options.env, gateway: this.#current };
  }

  /** What a task that names no model would use, each part with its source; never a key. */
  effective(): EffectiveModel {
    const described = describeEffectiveModel(this.layers());
    return this.#pullError ? { ...described, pullError: this.#pullError } : described;
  }

  /** For one task, at its start: its model (or what is missing) and its default mode. */
  forTask(): { resolve(requested?: string): ReturnType<typeof resolveLayeredModel>; mode: AutonomyMode } {
    const layers = this.layers();
    return { resolve: (requested) => resolveLayeredModel(layers, requested), mode: modeOf(layers).value };
  }

  async #pull(): Promise<void> {
    try {
      const pulled = await this.#options.pull();
      this.#current = pulled;
      this.#pullError = undefined;
      const keys: Record<string, string> = {};
      for (const [provider, value] of Object.entries(pulled.apiKeys)) {
        if (value) keys[`gateway ${provider} key`] = value;
      }
      this.#options.onKeys(keys);
      this.#options.logger.info(
        { version: pulled.version, model: pulled.model, provider: pulled.provider },
        'model settings pulled from the gateway',
      );
    } catch (error) {
      // A gateway older than the model settings has no such route: nothing to apply, nothing wrong.
      if ((error as { status?: number }).status === 404) {
        this.#current = undefined;
        this.#pullError = undefined;
        return;
      }
      // The error names the URL and the status, never a key (the pull answer is not in it).
      this.#pullError = (error as Error).message.slice(0, 500);
      this.#options.logger.warn(
        { err: this.#pullError },
        'the model settings pull failed; keeping the last ones',
      );
    }
  }
}
