import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ConfigFile } from '../../core/config.ts';
import { OpenViberError } from '../../core/errors.ts';
import { describeZodError } from '../../protocol/index.ts';

/**
 * A skill hub is an index: a JSON list of skills, each with where to get it. It is read from a
 * URL or a file (OPENVIBER_SKILL_HUB, else `skills.hub` of config.json); `viber skill search`
 * looks through it and `viber skill add <name>` installs from the entry's source.
 */
export const HubEntrySchema = z.object({
  name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a skill name (a-z, 0-9, single hyphens)'),
  description: z.string().max(1024),
  version: z.string().min(1).max(100),
  /** A git URL or a folder; a relative folder is relative to a local index's own folder. */
  source: z.string().min(1),
  /** The skill's folder inside the source. */
  path: z.string().min(1).optional(),
});
export type HubEntry = z.infer<typeof HubEntrySchema>;

export const HubIndexSchema = z.array(HubEntrySchema).max(10_000);

/** Past this the index is refused rather than read into memory. */
export const MAX_HUB_INDEX_BYTES = 5 * 1024 * 1024;

export const SKILL_HUB_VARIABLE = 'OPENVIBER_SKILL_HUB';

/** The hub in force: the flag's, OPENVIBER_SKILL_HUB, or config.json's `skills.hub`. */
export function hubLocation(env: NodeJS.ProcessEnv, config: ConfigFile, flag?: string): string | undefined {
  return flag ?? (env[SKILL_HUB_VARIABLE]?.trim() || undefined) ?? config.skills?.hub;
}

/** Reads and checks the index; a relative `source` of a local index becomes an absolute folder. */
export async function readHubIndex(location: string): Promise<HubEntry[]> {
  const remote = /^https?:\/\//.test(location);
  const text = remote ? await fetchIndex(location) : await readLocalIndex(location);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new OpenViberError(
      'validation_failed',
      `hub index ${location}: invalid JSON: ${(error as Error).message}`,
    );
  }
  const parsed = HubIndexSchema.safeParse(data);
  if (!parsed.success) {
    throw new OpenViberError('validation_failed', `hub index ${location}: ${describeZodError(parsed.error)}`);
  }
  if (remote) return parsed.data;
  const folder = dirname(localPath(location));
  return parsed.data.map((entry) =>
    isLocalRelative(entry.source) ? { ...entry, source: resolve(folder, entry.source) } : entry,
  );
}

/** Entries with every word of the query in their name or description, name matches first. */
export function searchHub(entries: readonly HubEntry[], query: string): HubEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = entries.filter((entry) => {
    const text = `${entry.name} ${entry.description}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
  const inName = (entry: HubEntry) => words.some((word) => entry.name.includes(word));
  return matches.sort((a, b) => Number(inName(b)) - Number(inName(a)) || a.name.localeCompare(b.name));
}

async function fetchIndex(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: 'follow' });
  } catch (error) {
    throw new OpenViberError('bad_request', `cannot read the hub index ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    throw new OpenViberError('bad_request', `the hub index ${url} answered HTTP ${response.status}`);
  }
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_HUB_INDEX_BYTES) throw tooLarge(url);
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_HUB_INDEX_BYTES) throw tooLarge(url);
  return text;
}

async function readLocalIndex(location: string): Promise<string> {
  try {
    const text = await readFile(localPath(location), 'utf8');
    if (Buffer.byteLength(text) > MAX_HUB_INDEX_BYTES) throw tooLarge(location);
    return text;
  } catch (error) {
    if (OpenViberError.isInstance(error)) throw error;
    throw new OpenViberError(
      'not_found',
      `cannot read the hub index ${location}: ${(error as Error).message}`,
      404,
    );
  }
}

function localPath(location: string): string {
  return location.startsWith('file://') ? fileURLToPath(location) : resolve(location);
}

function isLocalRelative(source: string): boolean {
  return !isAbsolute(source) && !/^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[\w.-]+@[\w.-]+:/.test(source);
}

function tooLarge(location: string): OpenViberError {
  return new OpenViberError(
    'payload_too_large',
    `the hub index ${location} is larger than ${MAX_HUB_INDEX_BYTES} bytes`,
    413,
  );
}
