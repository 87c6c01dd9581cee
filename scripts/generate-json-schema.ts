// Writes schema/openviber-protocol.schema.json (every wire shape) and
// schema/openviber-rest-routes.schema.json (the gateway's route table) from src/protocol, and
// schema/config.schema.json (config/config.json) from src/core/config.ts, the one source of
// truth, so clients in other languages can validate OpenViber's messages and calls.
// `npm run schema` regenerates them; tests fail when a committed file drifts from the code.
import { writeFileSync } from 'node:fs';
import { buildConfigJsonSchema, CONFIG_SCHEMA_PATH } from '../src/core/config-json-schema.ts';
import { buildProtocolJsonSchema, PROTOCOL_SCHEMA_PATH } from '../src/protocol/json-schema.ts';
import {
  buildRestRoutesJsonSchema,
  REST_ROUTES_SCHEMA_PATH,
} from '../src/protocol/rest-routes-json-schema.ts';

for (const [path, document] of [
  [PROTOCOL_SCHEMA_PATH, buildProtocolJsonSchema()],
  [REST_ROUTES_SCHEMA_PATH, buildRestRoutesJsonSchema()],
  [CONFIG_SCHEMA_PATH, buildConfigJsonSchema()],
] as const) {
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${path}`);
}
