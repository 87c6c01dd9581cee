import { readFileSync } from 'node:fs';

/** OpenViber's version (package.json): in ViberInfo, `/health`, the MCP server's name and `X-Viber-Version`. */
export const OPENVIBER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
