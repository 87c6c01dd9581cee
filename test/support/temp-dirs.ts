import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * The one way tests make temporary folders (OpenViber homes, fixtures, tmux sockets): each is
 * remembered, so whatever a test forgets to remove goes with `removeTempDirs`, which the e2e
 * cleanup and `useTempDirs` call after each test.
 */

const created = new Set<string>();

/** A fresh folder under the system's temp folder, by its real path (paths compare equal to it). */
export function makeTempDir(label: string): string {
  const path = realpathSync(mkdtempSync(join(tmpdir(), `openviber-${label}-`)));
  created.add(path);
  return path;
}

export function removeTempDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
  created.delete(path);
}

export function removeTempDirs(): void {
  for (const path of created) rmSync(path, { recursive: true, force: true });
  created.clear();
}

/** Removes the folders made during each test of the calling file, after it. */
export function useTempDirs(): void {
  afterEach(removeTempDirs);
}
