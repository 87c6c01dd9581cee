import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConfigJsonSchema, CONFIG_SCHEMA_PATH } from './config-json-schema.ts';

describe('config.json JSON Schema', () => {
  it('is committed and matches ConfigFileSchema (run `npm run schema` after changing src/core/config.ts)', () => {
    const committed = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8'));
    expect(committed).toEqual(buildConfigJsonSchema());
  });

  it('refuses unknown keys and names the fields onboard writes', () => {
    const schema = buildConfigJsonSchema() as {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['model', 'providers', 'agent', 'daemon']),
    );
  });
});
