import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What this viber last prepared for a binding, written only after setup and health check passed
 * and removed when a new preparation starts: a binding is never "ready" from a half-done attempt,
 * even across a daemon restart. No secret is in it.
 */
export const PreparedStateSchema = z.object({
  bindingId: z.string(),
  environmentId: z.string(),
  generation: z.number().int(),
  version: z.number().int(),
  root: z.string(),
  workingDir: z.string(),
  preparedAt: z.string(),
});
export type PreparedState = z.infer<typeof PreparedStateSchema>;

const SAFE_ID = /^[A-Za-z0-9_-]{1,200}$/;

export class PreparedStates {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(bindingId: string): string {
    if (!SAFE_ID.test(bindingId))
      throw new Error(`binding id ${bindingId.slice(0, 100)} is not a safe file name`);
    return join(this.#dir, `${bindingId}.json`);
  }

  read(bindingId: string): PreparedState | null {
    const path = this.#path(bindingId);
    if (!existsSync(path)) return null;
    try {
      const parsed = PreparedStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  write(state: PreparedState): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    writeFileSync(this.#path(state.bindingId), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  }

  remove(bindingId: string): void {
    rmSync(this.#path(bindingId), { force: true });
  }
}
