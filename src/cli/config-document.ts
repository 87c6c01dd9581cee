import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type ConfigFile, ConfigFileSchema, configPath } from '../core/config.ts';
import { ensureDir, type OpenViberHome } from '../core/home.ts';
import { redactedMarker, withoutPassword } from '../core/redaction.ts';
import { describeZodError } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';

/**
 * config/config.json as the `viber config` and `viber onboard` commands edit it: the raw JSON
 * object, dotted keys into it, and one writer that validates against ConfigFileSchema before
 * anything reaches the disk, so an invalid edit leaves the file exactly as it was.
 */

export type JsonObject = Record<string, unknown>;

/** The file's JSON object; `{}` when there is no file. Invalid JSON is an error naming the file. */
export function readConfigDocument(home: OpenViberHome): JsonObject {
  const path = configPath(home);
  if (!existsSync(path)) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new CliError(`${path}: (root): must be a JSON object`);
  return data as JsonObject;
}

/** Validates `data` and writes it whole (mode 0600, through a temporary file). */
export function writeConfigDocument(home: OpenViberHome, data: unknown): ConfigFile {
  const path = configPath(home);
  const parsed = ConfigFileSchema.safeParse(data);
  if (!parsed.success) throw new CliError(`${path}: ${describeZodError(parsed.error)}; nothing was written`);
  ensureDir(home.config);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
  return parsed.data;
}

/** `agent.mode` -> ['agent', 'mode']; `mcpServers.0.name` indexes an array. */
export function splitKey(key: string): string[] {
  const parts = key.split('.');
  if (key === '' || parts.some((part) => part === ''))
    throw new CliError(`invalid key "${key}": use dotted names such as agent.mode`, 2);
  return parts;
}

export function getKey(data: unknown, key: string): unknown {
  let node = data;
  for (const part of splitKey(key)) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as JsonObject)[part];
  }
  return node;
}

/** A copy of `data` with `key` set, creating the objects on the way. */
export function setKey(data: JsonObject, key: string, value: unknown): JsonObject {
  const copy = structuredClone(data);
  const parts = splitKey(key);
  let node: JsonObject = copy;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as JsonObject;
  }
  node[parts.at(-1)!] = value;
  return copy;
}

/** A copy of `data` without `key`; objects left empty on the way are removed too. */
export function unsetKey(data: JsonObject, key: string): { data: JsonObject; found: boolean } {
  const copy = structuredClone(data);
  const parts = splitKey(key);
  const trail: JsonObject[] = [copy];
  for (const part of parts.slice(0, -1)) {
    const next = trail.at(-1)![part];
    if (typeof next !== 'object' || next === null) return { data, found: false };
    trail.push(next as JsonObject);
  }
  const last = parts.at(-1)!;
  if (!Object.hasOwn(trail.at(-1)!, last)) return { data, found: false };
  if (Array.isArray(trail.at(-1))) (trail.at(-1) as unknown as unknown[]).splice(Number(last), 1);
  else delete trail.at(-1)![last];
  for (let index = trail.length - 1; index > 0; index--) {
    if (Array.isArray(trail[index]) || Object.keys(trail[index]!).length > 0) break;
    delete trail[index - 1]![parts[index - 1]!];
  }
  return { data: copy, found: true };
}

/** A command-line value: JSON when it parses (`5`, `true`, `["a"]`), otherwise the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const SECRET_KEYS = new Set(['apiKey']);
/** Inside an MCP server entry these objects map names to values that may be credentials. */
const SECRET_MAPS = new Set(['env', 'headers']);

/** A copy with every secret value replaced by `[redacted:<key>]`; `keyPath` is where `value` sits. */
export function redactConfigValue(value: unknown, keyPath: string[] = []): unknown {
  const last = keyPath.at(-1) ?? '';
  const inSecretMap = keyPath[0] === 'mcpServers' && SECRET_MAPS.has(keyPath.at(-2) ?? '');
  if (typeof value === 'string') {
    if (SECRET_KEYS.has(last) || inSecretMap) return redactedMarker(last);
    // The gateway's store and bus URLs may carry a password.
    return keyPath[0] === 'gateway' ? withoutPassword(value) : value;
  }
  if (Array.isArray(value))
    return value.map((item, index) => redactConfigValue(item, [...keyPath, String(index)]));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [name, redactConfigValue(item, [...keyPath, name])]),
    );
  return value;
}
