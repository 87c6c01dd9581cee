import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary folders (OpenViber homes, fixtures) that `removeTempDirs` deletes after each test. */

const created = new Set<string>();

export function makeTempDir(label: string): string {
  const path = mkdtempSync(join(tmpdir(), `openviber-${label}-`));
  created.add(path);
  return path;
}

/** A fresh OPENVIBER_HOME. */
export function makeTempHome(label = 'home'): string {
  return makeTempDir(label);
}

export function removeTempDirs(): void {
  for (const path of created) rmSync(path, { recursive: true, force: true });
  created.clear();
}
