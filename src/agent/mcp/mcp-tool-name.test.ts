import { describe, expect, it } from 'vitest';
import { mcpToolName } from './mcp-tool-name.ts';

describe("an MCP tool's name for the agent", () => {
  it('is mcp__<server>__<tool>, with what a provider refuses turned into _', () => {
    expect(mcpToolName('github', 'list_issues', new Set())).toBe('mcp__github__list_issues');
    expect(mcpToolName('docs', 'search.pages/v2', new Set())).toBe('mcp__docs__search_pages_v2');
  });

  it('ends in a stable hash when it is too long or already taken', () => {
    const long = mcpToolName('server', 'a'.repeat(80), new Set());
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^mcp__server__a+_[0-9a-f]{6}$/);
    expect(mcpToolName('server', 'a'.repeat(80), new Set())).toBe(long);
    const taken = new Set(['mcp__docs__search_pages']);
    expect(mcpToolName('docs', 'search.pages', taken)).toMatch(/^mcp__docs__search_pages_[0-9a-f]{6}$/);
  });
});
