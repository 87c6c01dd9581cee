import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';

// An environment's MCP servers (docs/mcp.md) on the gateway: validated with the field named,
// stored with secrets only as references, sent to its vibers in the config pull.

const SECRET = 'ghp_canary-7Yq-environment-secret';
const gateways: TestGateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.cleanup();
});

async function startGateway(): Promise<TestGateway> {
  const gateway = await TestGateway.start();
  gateways.push(gateway);
  return gateway;
}

const github = {
  name: 'github',
  command: 'github-mcp-server',
  args: ['stdio'],
  env: { GITHUB_PERSONAL_ACCESS_TOKEN: `\${secrets.GH_TOKEN}` },
};
const body = (extra: Record<string, unknown> = {}) => ({
  name: 'web',
  type: 'manual',
  secrets: { GH_TOKEN: SECRET },
  mcpServers: [
    github,
    {
      name: 'docs',
      url: 'https://docs.example/mcp',
      headers: { Authorization: `Bearer \${secrets.GH_TOKEN}` },
    },
  ],
  ...extra,
});

describe("an environment's MCP servers", () => {
  it('are stored and shown with their secret references, and reach the viber resolved on its side only', async () => {
    const harness = await startGateway();
    const created = await harness.api('POST', '/api/environments', body());
    expect(created.status).toBe(201);
    expect(created.json.mcpServers).toEqual(body().mcpServers);
    expect(JSON.stringify(created.json)).not.toContain(SECRET);
    const db = join(harness.home.gateway, 'openviber.db');
    for (const file of [db, `${db}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(SECRET)).toBe(false);
    }

    const viber = await harness.gateway.registerViber('builder');
    await harness.api('POST', `/api/environments/${created.json.id}/bindings`, { viberId: viber.id });
    const pulled = await fetch(`${harness.gateway.url}/api/vibers/${viber.id}/config`, {
      headers: { authorization: `Bearer ${viber.token}`, 'x-viber-id': viber.id },
    });
    const spec = (await pulled.json()).bindings[0].environment;
    expect(spec.mcpServers).toEqual(body().mcpServers);
    expect(spec.secrets).toEqual({ GH_TOKEN: SECRET });
  });

  it('are replaced by an update without making the bindings stale', async () => {
    const harness = await startGateway();
    const { json: environment } = await harness.api('POST', '/api/environments', body());
    const viber = await harness.gateway.registerViber('builder');
    await harness.api('POST', `/api/environments/${environment.id}/bindings`, { viberId: viber.id });
    const updated = await harness.api('PUT', `/api/environments/${environment.id}`, { mcpServers: [github] });
    expect(updated.status).toBe(200);
    expect(updated.json.mcpServers).toEqual([github]);
    expect(updated.json.version).toBe(2);
    // Tasks read the servers when they start: nothing to prepare again.
    expect(updated.json.bindings).toEqual([expect.objectContaining({ generation: 1, status: 'pending' })]);
    const cleared = await harness.api('PUT', `/api/environments/${environment.id}`, { mcpServers: [] });
    expect(cleared.json.mcpServers).toEqual([]);
  });

  it('are refused with the field named: a bad entry, a secret the environment lacks, a secret still used', async () => {
    const harness = await startGateway();
    const bad = await harness.api(
      'POST',
      '/api/environments',
      body({ mcpServers: [{ name: 'web', url: 'ftp://x/mcp' }] }),
    );
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('mcpServers.0.url: must be an http:// or https:// URL');

    const unknown = await harness.api('POST', '/api/environments', body({ secrets: {} }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toBe(
      'mcpServers.0.env.GITHUB_PERSONAL_ACCESS_TOKEN: references secret GH_TOKEN, which this environment does not have; mcpServers.1.headers.Authorization: references secret GH_TOKEN, which this environment does not have',
    );

    const { json: environment } = await harness.api('POST', '/api/environments', body());
    const removing = await harness.api('PUT', `/api/environments/${environment.id}`, {
      secrets: { GH_TOKEN: null },
    });
    expect(removing.status).toBe(400);
    expect(removing.json.error.message).toContain(
      'references secret GH_TOKEN, which this environment does not have',
    );
    expect((await harness.api('GET', `/api/environments/${environment.id}`)).json.secrets).toHaveLength(1);
  });
});
