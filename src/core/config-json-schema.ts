import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigFileSchema } from './config.ts';

export const CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../../schema/config.schema.json', import.meta.url));

/**
 * `$OPENVIBER_HOME/config/config.json` as a JSON Schema (draft 2020-12), generated from
 * ConfigFileSchema so editors can complete and check the file. `npm run schema` writes it.
 */
export function buildConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigFileSchema, { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'OpenViber config.json',
    description:
      "The OpenViber home's config/config.json (`viber onboard` writes it, `viber config` edits it); unknown keys are refused.",
  };
}
