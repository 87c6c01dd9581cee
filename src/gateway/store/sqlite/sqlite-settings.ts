import type { AutonomyMode, ModelProvider } from '../../../protocol/index.ts';
import type { ModelSettingsRecord, ProviderKeyRecord, SettingsStore } from '../settings-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

export function sqliteSettings(db: SqliteDatabase): SettingsStore {
  const read = (): ModelSettingsRecord => {
    const row = db.get('SELECT * FROM model_settings WHERE id = 1');
    const keys = db.all('SELECT * FROM provider_keys ORDER BY provider').map(
      (key): ProviderKeyRecord => ({
        provider: key.provider as ModelProvider,
        encryptedValue: key.encrypted_value as string,
        kmsKeyId: key.kms_key_id as string,
        createdAt: key.created_at as string,
        updatedAt: key.updated_at as string,
      }),
    );
    return {
      provider: (row?.provider as ModelProvider | null) ?? null,
      model: (row?.model as string | null) ?? null,
      baseURL: (row?.base_url as string | null) ?? null,
      mode: (row?.mode as AutonomyMode | null) ?? null,
      version: Number(row?.version ?? 0),
      updatedAt: (row?.updated_at as string | null) ?? null,
      keys,
    };
  };
  return {
    async getModelSettings() {
      return read();
    },
    async updateModelSettings(decide) {
      return db.transaction(() => {
        const change = decide(read());
        const { settings } = change;
        db.run(
          `INSERT INTO model_settings (id, provider, model, base_url, mode, version, updated_at)
           VALUES (1, :provider, :model, :baseURL, :mode, :version, :updatedAt)
           ON CONFLICT (id) DO UPDATE SET provider = :provider, model = :model, base_url = :baseURL,
             mode = :mode, version = :version, updated_at = :updatedAt`,
          {
            provider: settings.provider,
            model: settings.model,
            baseURL: settings.baseURL,
            mode: settings.mode,
            version: settings.version,
            updatedAt: settings.updatedAt,
          },
        );
        for (const provider of change.deleteKeys ?? []) {
          db.run('DELETE FROM provider_keys WHERE provider = :provider', { provider });
        }
        for (const key of change.setKeys ?? []) {
          db.run(
            `INSERT INTO provider_keys (provider, encrypted_value, kms_key_id, created_at, updated_at)
             VALUES (:provider, :encryptedValue, :kmsKeyId, :createdAt, :updatedAt)
             ON CONFLICT (provider) DO UPDATE SET encrypted_value = :encryptedValue,
               kms_key_id = :kmsKeyId, updated_at = :updatedAt`,
            { ...key },
          );
        }
        return read();
      });
    },
  };
}
