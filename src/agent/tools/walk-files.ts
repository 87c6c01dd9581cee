import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** Folders searches skip unless asked for by name: dependencies and version control are noise. */
export const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

/**
 * Yields the regular files under `root` depth first, in name order, without following symbolic
 * links (so a search cannot wander out of the workspace) and skipping SKIPPED_DIRECTORIES.
 */
export async function* walkFiles(root: string, signal: AbortSignal): AsyncGenerator<string> {
  const stack = [root];
  while (stack.length > 0) {
    signal.throwIfAborted();
    const directory = stack.pop()!;
    const files: string[] = [];
    const directories: string[] = [];
    try {
      for await (const dirent of await opendir(directory)) {
        if (dirent.isDirectory() && !SKIPPED_DIRECTORIES.has(dirent.name)) {
          directories.push(join(directory, dirent.name));
        } else if (dirent.isFile()) files.push(join(directory, dirent.name));
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
