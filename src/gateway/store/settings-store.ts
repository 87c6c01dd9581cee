import type { AutonomyMode, ModelProvider } from '../../protocol/index.ts';

/** A provider's API key as stored: ciphertext under the master key, never the value. */
export interface ProviderKeyRecord {
  provider: ModelProvider;
  encryptedValue: string;
  kmsKeyId: string;
  createdAt: string;
  updatedAt: string;
}

/** The gateway's model settings (docs/settings.md): one row; `version` 0 means never set. */
export interface ModelSettingsRecord {
  provider: ModelProvider | null;
  model: string | null;
  baseURL: string | null;
  mode: AutonomyMode | null;
  version: number;
  updatedAt: string | null;
  keys: ProviderKeyRecord[];
}

/** What `updateModelSettings`'s decide returns: applied in the same transaction. */
export interface ModelSettingsChange {
  settings: Omit<ModelSettingsRecord, 'keys'>;
  setKeys?: ProviderKeyRecord[];
  deleteKeys?: ModelProvider[];
}

/** The model settings every viber pulls, and the providers' keys (ciphertext only). */
export interface SettingsStore {
  /** The settings; version 0 with every field null before the first update. */
  getModelSettings(): Promise<ModelSettingsRecord>;
  /**
   * Reads, lets `decide` choose the change (it may throw to abort), applies it: one transaction.
   * Returns the settings as stored after it.
   */
  updateModelSettings(
    decide: (current: ModelSettingsRecord) => ModelSettingsChange,
  ): Promise<ModelSettingsRecord>;
}
