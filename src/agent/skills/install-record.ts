import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** Beside SKILL.md in an installed skill: where it came from, written by `viber skill add`. */
export const INSTALL_RECORD_FILE = '.openviber-skill.json';

export const InstallRecordSchema = z.strictObject({
  /** The git URL or folder it was installed from. */
  source: z.string().min(1),
  /** The skill's folder inside the source, when it was not the source's root. */
  path: z.string().min(1).optional(),
  /** The hub's version, else the skill's own `metadata.version`. */
  version: z.string().min(1).optional(),
  /** The commit a git source was at. */
  commit: z.string().min(1).optional(),
  /** The hub index it was found in, for `viber skill add <name>`. */
  hub: z.string().min(1).optional(),
  installedAt: z.iso.datetime(),
});
export type InstallRecord = z.infer<typeof InstallRecordSchema>;

/** The record of an installed skill; undefined when there is none or it is not readable. */
export function readInstallRecord(directory: string): InstallRecord | undefined {
  try {
    const parsed = InstallRecordSchema.safeParse(
      JSON.parse(readFileSync(join(directory, INSTALL_RECORD_FILE), 'utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeInstallRecord(directory: string, record: InstallRecord): void {
  writeFileSync(join(directory, INSTALL_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`, {
    mode: 0o600,
  });
}
