import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** Folders searches skip unless asked for by name: dependencies and version control are noise. */
export const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

/**
 * Yields the regular files under `root` depth first, in name order, without following symbolic
 * links (so a search cannot wander out of the workspace) and skipping SKIPPED_DIRECTORIES and the
 * `hidden` folders (OpenViber's credentials, when a search starts above them).
 */
export async function* walkFiles(
  root: string,
  signal: AbortSignal,
  hidden: readonly string[] = [],
): AsyncGenerator<string> {
  const hiddenSet = new Set(hidden);
  const stack = [root];
  while (stack.length > 0) {
    signal.throwIfAborted();
    const directory = stack.pop()!;
    const files: string[] = [];
    const directories: string[] = [];
    try {
      for await (const dirent of await opendir(directory)) {
        const path = join(directory, dirent.name);
        if (dirent.isDirectory() && !SKIPPED_DIRECTORIES.has(dirent.name) && !hiddenSet.has(path)) {
          directories.push(path);
        } else if (dirent.isFile()) files.push(path);
      }
    } catch {
      continue; // unreadable folder (permissions, deleted meanwhile): search the rest
    }
    files.sort();
    yield* files;
    directories.sort().reverse();
    stack.push(...directories);
  }
}
