import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../test/support/in-process/temp-home.ts';
import { knownCredentials, toolProcessEnvironment, withoutCredentials } from './credentials.ts';

const temp = useTempHome('agent');

describe('the environment of tool processes', () => {
  const daemonEnv = {
    PATH: '/bin',
    HOME: '/home/v',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    OPENAI_API_KEY: 'sk-1',
    OPENVIBER_SEARCH_API_KEY: 'search-key',
    OPENVIBER_MASTER_KEY: 'master',
    OPENVIBER_OPERATOR_TOKEN: 'ovo_x',
    GOPATH: '/go',
    UNLISTED: 'x',
  };

  it('is an allow-list: the base set, LC_*, the names config passes, then the task variables', () => {
    expect(toolProcessEnvironment(daemonEnv, ['GOPATH'], { SECRET: 's3cret' })).toEqual({
      PATH: '/bin',
      HOME: '/home/v',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      GOPATH: '/go',
      SECRET: 's3cret',
    });
  });

  it('keeps credential-like names away from the daemon’s own programs too', () => {
    expect(withoutCredentials(daemonEnv)).toEqual({
      PATH: '/bin',
      HOME: '/home/v',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      GOPATH: '/go',
      UNLISTED: 'x',
    });
  });
});

describe('known credentials', () => {
  it('collects keys from variables, config.json and the files under the home', () => {
    mkdirSync(temp.home.gateway, { recursive: true });
    mkdirSync(temp.home.daemon, { recursive: true });
    writeFileSync(join(temp.home.gateway, 'operator-token'), 'ovo_operator_value\n');
    writeFileSync(join(temp.home.gateway, 'master-key'), 'bWFzdGVyLWtleS12YWx1ZQ==\n');
    writeFileSync(
      join(temp.home.daemon, 'credentials.json'),
      JSON.stringify({ server: 'ws://x/ws', viberId: 'v', token: 'ovv_viber_value' }),
    );
    const found = knownCredentials(
      temp.home,
      { OPENVIBER_SEARCH_API_KEY: 'search-key-value', PATH: '/bin/long/enough' },
      { providers: { custom: { apiKey: 'custom-provider-key' } } },
    );
    expect(found).toEqual({
      OPENVIBER_SEARCH_API_KEY: 'search-key-value',
      'providers.custom.apiKey': 'custom-provider-key',
      'operator token': 'ovo_operator_value',
      'master key': 'bWFzdGVyLWtleS12YWx1ZQ==',
      'viber token': 'ovv_viber_value',
    });
  });
});
