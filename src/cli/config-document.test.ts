import { describe, expect, it } from 'vitest';
import { getKey, parseValue, redactConfigValue, setKey, unsetKey } from './config-document.ts';

describe('config.json by dotted key', () => {
  it('parses values as JSON when they parse, else as text', () => {
    expect(parseValue('5')).toBe(5);
    expect(parseValue('true')).toBe(true);
    expect(parseValue('["a"]')).toEqual(['a']);
    expect(parseValue('always-ask')).toBe('always-ask');
    expect(parseValue('http://x/v1')).toBe('http://x/v1');
  });

  it('sets through missing objects and unsets, dropping emptied parents, without touching the input', () => {
    const data = { agent: { mode: 'always-ask' } };
    const set = setKey(data, 'providers.custom.baseURL', 'http://x/v1');
    expect(set).toEqual({ agent: { mode: 'always-ask' }, providers: { custom: { baseURL: 'http://x/v1' } } });
    expect(data).toEqual({ agent: { mode: 'always-ask' } });
    expect(getKey(set, 'providers.custom.baseURL')).toBe('http://x/v1');
    expect(unsetKey(set, 'providers.custom.baseURL')).toEqual({ data, found: true });
    expect(unsetKey(data, 'agent.allow')).toEqual({ data, found: false });
    expect(unsetKey({ agent: { allow: ['a', 'b'] } }, 'agent.allow.0').data).toEqual({
      agent: { allow: ['b'] },
    });
  });

  it('redacts API keys and MCP env and header values', () => {
    expect(
      redactConfigValue({
        providers: { openai: { apiKey: 'sk-1', baseURL: 'http://x' } },
        mcpServers: [{ name: 'gh', env: { TOKEN: 't' }, headers: { Authorization: 'Bearer t' } }],
      }),
    ).toEqual({
      providers: { openai: { apiKey: '[redacted:apiKey]', baseURL: 'http://x' } },
      mcpServers: [
        {
          name: 'gh',
          env: { TOKEN: '[redacted:TOKEN]' },
          headers: { Authorization: '[redacted:Authorization]' },
        },
      ],
    });
    expect(redactConfigValue('sk-1', ['providers', 'openai', 'apiKey'])).toBe('[redacted:apiKey]');
  });
});
