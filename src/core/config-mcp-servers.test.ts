import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../test/support/in-process/temp-home.ts';
import { configPath, loadConfig } from './config.ts';

// config.json's `mcpServers` (docs/mcp.md): a mistake is refused with the file and the field.

const temp = useTempHome('config');

function write(config: unknown): void {
  mkdirSync(temp.home.config, { recursive: true });
  writeFileSync(configPath(temp.home), JSON.stringify(config));
}

describe('mcpServers in config.json', () => {
  it('loads a stdio and a Streamable HTTP server', () => {
    const mcpServers = [
      { name: 'files', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv'] },
      { name: 'search', url: 'http://127.0.0.1:8931/mcp', timeoutMs: 10_000 },
    ];
    write({ mcpServers });
    expect(loadConfig(temp.home).mcpServers).toEqual(mcpServers);
  });

  it('refuses a bad entry naming the file and the field', () => {
    write({
      mcpServers: [
        { name: 'files', command: 'npx' },
        { name: 'search', url: 'localhost:8931' },
      ],
    });
    expect(() => loadConfig(temp.home)).toThrow(
      `${configPath(temp.home)}: mcpServers.1.url: must be an http:// or https:// URL`,
    );
  });

  it('refuses a secret reference, which only an environment can resolve', () => {
    write({ mcpServers: [{ name: 'gh', command: 'gh-mcp', env: { TOKEN: `\${secrets.GH_TOKEN}` } }] });
    expect(() => loadConfig(temp.home)).toThrow(
      `mcpServers.0.env.TOKEN: \${secrets.GH_TOKEN} is resolved only in an environment's MCP servers, not in config.json`,
    );
  });
});
