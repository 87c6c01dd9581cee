import { afterEach, describe, expect, it } from 'vitest';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';

// Hardening issue, item 10: with another master key than the one the stored secrets were written
// with, writing a secret must be refused (409), as it is when the key is missing; otherwise the new
// value is sealed under the wrong key and becomes unreadable once the right key is back.

const OTHER_KEY = Buffer.alloc(32, 9).toString('base64');
let harness: TestGateway | undefined;

afterEach(async () => {
  delete process.env.OPENVIBER_MASTER_KEY;
  await harness?.cleanup();
  harness = undefined;
});

const environment = (name: string, secrets: Record<string, string>) => ({
  name,
  type: 'manual',
  secrets,
});

async function restartWith(key: string | undefined): Promise<TestGateway> {
  const current = harness!;
  await current.gateway.close();
  if (key === undefined) delete process.env.OPENVIBER_MASTER_KEY;
  else process.env.OPENVIBER_MASTER_KEY = key;
  await current.restart();
  return current;
}

describe('writing a secret under a different master key', () => {
  it('is refused with 409 and stores nothing; the right key still reads every secret', async () => {
    harness = await TestGateway.start();
    const created = await harness.api(
      'POST',
      '/api/environments',
      environment('web', { TOKEN_A: 'value-a-1234' }),
    );
    expect(created.status).toBe(201);

    const gateway = await restartWith(OTHER_KEY);
    const put = await gateway.api('PUT', '/api/environments/web', { secrets: { TOKEN_B: 'value-b-1234' } });
    expect(put.status).toBe(409);
    expect(put.json.error.code).toBe('conflict');
    expect(put.json.error.message).toMatch(
      /^cannot store secret TOKEN_B: 1 stored secret \(web\/TOKEN_A\) was encrypted with master key mk_[0-9a-f]{16}, but the gateway has mk_[0-9a-f]{16}/,
    );
    // A new environment with a secret is refused the same way; one without secrets is not.
    const other = await gateway.api(
      'POST',
      '/api/environments',
      environment('api', { TOKEN_C: 'value-c-1234' }),
    );
    expect(other.status).toBe(409);
    expect(other.json.error.message).toMatch(/^cannot store secret TOKEN_C: 1 stored secret/);
    expect((await gateway.api('POST', '/api/environments', environment('plain', {}))).status).toBe(201);
    // Changes that write no secret still work.
    const renamed = await gateway.api('PUT', '/api/environments/web', { description: 'still editable' });
    expect(renamed.status).toBe(200);

    // Back on the right key: the old secret reads, and the refused ones were never stored.
    const restored = await restartWith(undefined);
    const view = (await restored.api('GET', '/api/environments/web')).json;
    expect(view.secrets).toEqual([expect.objectContaining({ key: 'TOKEN_A', readable: true })]);
    expect(view.problems).toEqual([]);
    expect((await restored.api('GET', '/api/environments/api')).status).toBe(404);
  });

  it('is allowed when the write replaces or deletes every secret of the other key', async () => {
    harness = await TestGateway.start();
    await harness.api(
      'POST',
      '/api/environments',
      environment('web', { TOKEN_A: 'value-a-1234', TOKEN_B: 'value-b-1234' }),
    );
    const gateway = await restartWith(OTHER_KEY);
    // Replacing only one of two lost secrets would leave the store under two keys.
    const partial = await gateway.api('PUT', '/api/environments/web', { secrets: { TOKEN_A: 'new-a-1234' } });
    expect(partial.status).toBe(409);
    expect(partial.json.error.message).toMatch(/1 stored secret \(web\/TOKEN_B\)/);
    const replaced = await gateway.api('PUT', '/api/environments/web', {
      secrets: { TOKEN_A: 'new-a-1234', TOKEN_B: null },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json.secrets).toEqual([expect.objectContaining({ key: 'TOKEN_A', readable: true })]);
    expect(replaced.json.problems).toEqual([]);
    const added = await gateway.api('PUT', '/api/environments/web', { secrets: { TOKEN_C: 'new-c-1234' } });
    expect(added.status).toBe(200);
  });
});
