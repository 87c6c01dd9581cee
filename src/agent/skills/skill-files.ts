import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INSTALL_RECORD_FILE } from './install-record.ts';
import { SKILL_FILE } from './skill-file.ts';

/** At most this many of a skill's files are listed; the listing says when there are more. */
export const MAX_LISTED_FILES = 200;

const SKIPPED = new Set(['.git', 'node_modules', INSTALL_RECORD_FILE, SKILL_FILE]);

export interface SkillFiles {
  /** Paths relative to the skill's folder, in name order, folders first walked depth first. */
  files: string[];
  truncated: boolean;
}

/**
 * The files a skill brings besides SKILL.md (scripts/, references/, assets/, ...), listed but not
 * read: the model reads the ones its instructions name. Symbolic links are not followed.
 */
export function listSkillFiles(directory: string, limit = MAX_LISTED_FILES): SkillFiles {
  const files: string[] = [];
  const walk = (relative: string): boolean => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(directory, relative), { withFileTypes: true });
    } catch {
      return true; // unreadable: list the rest
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (relative === '' && SKIPPED.has(entry.name)) continue;
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!walk(path)) return false;
      } else if (entry.isFile()) {
        if (files.length === limit) return false;
        files.push(path);
      }
    }
    return true;
  };
  const complete = walk('');
  return { files, truncated: !complete };
}
