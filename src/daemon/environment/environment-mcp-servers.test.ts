import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../core/redaction.ts';
import type { EnvironmentSpec } from '../../protocol/index.ts';
import { environmentMcpServers } from './task-environment.ts';

const spec: EnvironmentSpec = {
  id: 'environment_web',
  name: 'web',
  type: 'manual',
  version: 3,
  setupTimeoutSeconds: 600,
  networkAccess: true,
  persistVolume: true,
  variables: {},
  secrets: { GH_TOKEN: 'ghp_resolved-here' },
  unreadableSecrets: ['OLD_TOKEN'],
  mcpServers: [
    { name: 'github', command: 'gh-mcp', env: { TOKEN: `\${secrets.GH_TOKEN}` } },
    {
      name: 'legacy',
      url: 'https://legacy.example/mcp',
      headers: { Authorization: `Bearer \${secrets.OLD_TOKEN}` },
    },
  ],
};

describe("an environment's MCP servers on the viber", () => {
  it('get their secret references resolved; one whose secret did not arrive keeps why', () => {
    const resolved = environmentMcpServers(spec, '/srv/web', createRedactor(spec.secrets));
    expect(resolved).toMatchObject({
      environmentId: 'environment_web',
      environmentName: 'web',
      workingDir: '/srv/web',
    });
    expect(resolved?.servers).toEqual([
      { config: { name: 'github', command: 'gh-mcp', env: { TOKEN: 'ghp_resolved-here' } } },
      {
        config: spec.mcpServers![1],
        problem:
          "it references secret OLD_TOKEN, which this viber did not receive from the gateway (set it again, or check the gateway's master key)",
      },
    ]);
  });

  it('are an empty list when the environment has none (its servers that ran are then stopped)', () => {
    expect(
      environmentMcpServers({ ...spec, mcpServers: [] }, '/srv/web', createRedactor({})).servers,
    ).toEqual([]);
  });
});
