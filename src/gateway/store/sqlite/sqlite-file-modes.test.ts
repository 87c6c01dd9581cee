import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestGateway } from '../../../../test/support/in-process/test-gateway.ts';
import { GATEWAY_DB_FILE } from './sqlite-store.ts';

// Hardening issue, item 2: the gateway's database files were 0644 (readable by every local user).
// In-process here, under this test runner's umask (usually 022), so the explicit modes are what is
// tested, not the CLI's process-wide umask.

let harness: TestGateway | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

function databaseFiles(gateway: TestGateway): string[] {
  const db = join(gateway.home.gateway, GATEWAY_DB_FILE);
  return [db, `${db}-wal`, `${db}-shm`];
}

describe('the gateway database files', () => {
  it('are created 0600, with their -wal and -shm, and an older 0644 database is tightened', async () => {
    harness = await TestGateway.start();
    await harness.api('POST', '/api/vibers', { name: 'v' });
    const files = databaseFiles(harness);
    expect(files.map(existsSync)).toEqual([true, true, true]);
    expect(files.map(modeOf)).toEqual([0o600, 0o600, 0o600]);
    expect(modeOf(harness.home.gateway)).toBe(0o700);

    await harness.gateway.close();
    for (const file of files) if (existsSync(file)) chmodSync(file, 0o644);
    chmodSync(harness.home.gateway, 0o755);
    await harness.restart();
    await harness.api('POST', '/api/vibers', { name: 'w' });
    expect(files.filter(existsSync).map(modeOf)).toEqual(files.filter(existsSync).map(() => 0o600));
    expect(modeOf(harness.home.gateway)).toBe(0o700);
  });
});
