import { describe, expect, it } from 'vitest';
import { describeZodError } from './frames.ts';
import { McpServerListSchema, mcpSecretReferences, resolveMcpSecretReferences } from './mcp-server-config.ts';

const problems = (value: unknown) => {
  const parsed = McpServerListSchema.safeParse(value);
  return parsed.success ? 'valid' : describeZodError(parsed.error);
};

describe('an MCP server entry', () => {
  it('is a stdio server (command) or a Streamable HTTP server (url)', () => {
    expect(
      problems([
        {
          name: 'files',
          command: 'npx',
          args: ['-y', 'some-server'],
          env: { ROOT: '/srv' },
          cwd: 'sub',
          timeoutMs: 5000,
        },
        {
          name: 'remote-1',
          url: 'https://mcp.example.com/mcp',
          headers: { Authorization: 'Bearer x' },
          enabled: false,
        },
      ]),
    ).toBe('valid');
  });

  it('names the field of each mistake', () => {
    expect(problems([{ name: 'Files', command: 'x' }])).toBe(
      '0.name: must be 1-32 lowercase letters, digits, hyphens or underscores, starting with a letter or digit',
    );
    expect(problems([{ name: 'a' }])).toBe(
      '0: needs command (a stdio server) or url (a Streamable HTTP server)',
    );
    expect(problems([{ name: 'a', command: 'x', url: 'http://h/mcp' }])).toBe(
      '0: give either command (stdio) or url (Streamable HTTP), not both',
    );
    expect(problems([{ name: 'a', url: 'ftp://h/mcp' }])).toBe('0.url: must be an http:// or https:// URL');
    expect(problems([{ name: 'a', url: 'http://h/mcp', env: { A: 'b' } }])).toBe(
      '0.env: only a stdio server (command) takes env',
    );
    expect(problems([{ name: 'a', command: 'x', headers: { A: 'b' } }])).toBe(
      '0.headers: only a Streamable HTTP server (url) takes headers',
    );
    expect(problems([{ name: 'a', command: 'x', env: { '1BAD': 'v' } }])).toBe(
      '0.env.1BAD: "1BAD" is not a valid variable name (letters, digits and _, not starting with a digit)',
    );
    expect(problems([{ name: 'a', command: 'x', timeoutMs: 10 }])).toMatch(/^0\.timeoutMs: Too small/);
    expect(problems([{ name: 'a', command: 'x', comand: 'typo' }])).toBe('0: Unrecognized key: "comand"');
    expect(
      problems([
        { name: 'a', command: 'x' },
        { name: 'a', url: 'http://h/mcp' },
      ]),
    ).toBe('1.name: "a" is used by another server');
  });
});

describe('secret references', () => {
  const server = {
    name: 'github',
    command: 'github-mcp',
    args: [`--token=\${secrets.GH_TOKEN}`],
    env: { API_KEY: `\${secrets.API_KEY}`, MODE: 'ro' },
  };

  it('are found in args, env and headers, each with where it is first named', () => {
    expect(mcpSecretReferences(server)).toEqual([
      { name: 'GH_TOKEN', path: 'args.0' },
      { name: 'API_KEY', path: 'env.API_KEY' },
    ]);
  });

  it("are replaced by the environment's values, or name what is missing", () => {
    expect(resolveMcpSecretReferences(server, { GH_TOKEN: 'ghp_1', API_KEY: 'k-2' })).toEqual({
      ok: true,
      server: { ...server, args: ['--token=ghp_1'], env: { API_KEY: 'k-2', MODE: 'ro' } },
    });
    expect(resolveMcpSecretReferences(server, { GH_TOKEN: 'ghp_1' })).toEqual({
      ok: false,
      missing: ['API_KEY'],
    });
  });
});
