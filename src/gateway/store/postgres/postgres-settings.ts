import type { AutonomyMode, ModelProvider } from '../../../protocol/index.ts';
import type { ModelSettingsRecord, ProviderKeyRecord, SettingsStore } from '../settings-store.ts';
import type { PostgresDatabase, Statements } from './postgres-database.ts';

/** Advisory lock class of the settings row, which does not exist before the first update. */
const SETTINGS_LOCK = 0x0bbe_0005;

export function postgresSettings(db: PostgresDatabase): SettingsStore {
  const read = async (on: Statements): Promise<ModelSettingsRecord> => {
    const row = (await on.get(
      `SELECT s.*, (SELECT coalesce(json_agg(k ORDER BY k.provider), '[]') FROM provider_keys k) AS keys_json
        FROM (SELECT 1) AS one LEFT JOIN model_settings s ON s.id = 1`,
    ))!;
    const keys = (row.keys_json as Record<string, unknown>[]).map(
      (key): ProviderKeyRecord => ({
        provider: key.provider as ModelProvider,
        encryptedValue: key.encrypted_value as string,
        kmsKeyId: key.kms_key_id as string,
        createdAt: key.created_at as string,
        updatedAt: key.updated_at as string,
      }),
    );
    return {
      provider: (row.provider as ModelProvider | null) ?? null,
      model: (row.model as string | null) ?? null,
      baseURL: (row.base_url as string | null) ?? null,
      mode: (row.mode as AutonomyMode | null) ?? null,
      version: Number(row.version ?? 0),
      updatedAt: (row.updated_at as string | null) ?? null,
      keys,
    };
  };
  return {
    async getModelSettings() {
      return read(db);
    },
    async updateModelSettings(decide) {
      return db.transaction(async (tx) => {
        // Two gateways saving at once take turns: the second decides on what the first committed.
        await tx.run(`SELECT pg_advisory_xact_lock(${SETTINGS_LOCK}, 1)`);
        const change = decide(await read(tx));
        const { settings } = change;
        await tx.run(
          `INSERT INTO model_settings (id, provider, model, base_url, mode, version, updated_at)
           VALUES (1, $1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, model = excluded.model,
             base_url = excluded.base_url, mode = excluded.mode, version = excluded.version,
             updated_at = excluded.updated_at`,
          [
            settings.provider,
            settings.model,
            settings.baseURL,
            settings.mode,
            settings.version,
            settings.updatedAt,
          ],
        );
        const deleted = change.deleteKeys ?? [];
        if (deleted.length > 0)
          await tx.run('DELETE FROM provider_keys WHERE provider = ANY($1::text[])', [deleted]);
        for (const key of change.setKeys ?? []) {
          await tx.run(
            `INSERT INTO provider_keys (provider, encrypted_value, kms_key_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (provider) DO UPDATE SET encrypted_value = excluded.encrypted_value,
               kms_key_id = excluded.kms_key_id, updated_at = excluded.updated_at`,
            [key.provider, key.encryptedValue, key.kmsKeyId, key.createdAt, key.updatedAt],
          );
        }
        return read(tx);
      });
    },
  };
}
