// Writes schema/openviber-protocol.schema.json from src/protocol, the one source of truth, so
// clients in other languages can validate OpenViber's messages. `npm run schema` regenerates it;
// a test fails when the committed file drifts from the code.
import { writeFileSync } from 'node:fs';
import { buildProtocolJsonSchema, PROTOCOL_SCHEMA_PATH } from '../src/protocol/json-schema.ts';

writeFileSync(PROTOCOL_SCHEMA_PATH, `${JSON.stringify(buildProtocolJsonSchema(), null, 2)}\n`);
console.log(`wrote ${PROTOCOL_SCHEMA_PATH}`);
