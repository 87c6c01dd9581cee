import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, makeFixtureDir, toolThenText } from '../support/e2e-fixtures.ts';
import { sendJson, startLocalHttpServer } from '../support/local-http-server.ts';
import { spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';

// `viber onboard --non-interactive` as a setup script runs it: one real request to the endpoint,
// then a config.json that `viber run` uses with no other setting.

useE2eCleanup();

const KEY = 'sk-onboard-test-0123456789abcdef';

async function viber(home: string, args: string[], env: Record<string, string> = {}) {
  const process = spawnViber(args, { name: `onboard-${args[0]}`, env: { OPENVIBER_HOME: home, ...env } });
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderr };
}

const configFile = (home: string) => join(home, 'config', 'config.json');

describe('viber onboard --non-interactive', () => {
  it('checks the endpoint, writes a 0600 config that viber run then uses, and never prints the key', async () => {
    const model = await startModelServer({ script: toolThenText(), models: ['test-model', 'other-model'] });
    const home = makeTempDir('onboard');
    const onboard = await viber(
      home,
      [
        'onboard',
        '--non-interactive',
        '--provider',
        'custom',
        '--base-url',
        model.baseURL,
        '--api-key-env',
        'MY_MODEL_KEY',
        '--model',
        'test-model',
        '--mode',
        'always-execute',
      ],
      { MY_MODEL_KEY: KEY },
    );
    expect(onboard.stderr).toBe(`… checking custom at ${model.baseURL}\n`);
    expect(onboard.code).toBe(0);
    expect(onboard.stdout).toContain(`✓ ${model.baseURL}/models answered: 2 models`);
    expect(onboard.stdout).toContain(
      `wrote ${configFile(home)}: model custom/test-model, mode always-execute`,
    );
    expect(`${onboard.stdout}${onboard.stderr}`).not.toContain(KEY);
    expect(statSync(configFile(home)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configFile(home), 'utf8'))).toEqual({
      model: 'custom/test-model',
      providers: { custom: { baseURL: model.baseURL, apiKey: KEY } },
      agent: { mode: 'always-execute' },
    });

    const run = await viber(home, ['run', 'what', 'is', 'here?', '--cwd', makeFixtureDir()]);
    expect(run.stdout.trim()).toBe(FINAL_TEXT);
    expect(run.code).toBe(0);
    expect(model.requests[0]?.body.model).toBe('test-model');
    expect(model.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('merges a re-run into the existing config, and --reset starts again', async () => {
    const model = await startModelServer({ models: ['test-model', 'other-model'] });
    const home = makeTempDir('onboard');
    const base = ['onboard', '--non-interactive', '--provider', 'custom', '--base-url', model.baseURL];
    expect((await viber(home, [...base, '--model', 'test-model', '--mode', 'always-ask'])).code).toBe(0);
    // No --base-url, no --mode: kept from the file; the model changes.
    const rerun = await viber(home, ['onboard', '--non-interactive', '--model', 'custom/other-model']);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(readFileSync(configFile(home), 'utf8'))).toEqual({
      model: 'custom/other-model',
      providers: { custom: { baseURL: model.baseURL } },
      agent: { mode: 'always-ask' },
    });
    // --install-service writes the units too (PATH has no systemctl: the commands are printed).
    const xdg = makeTempDir('onboard-xdg');
    const reset = await viber(home, [...base, '--model', 'test-model', '--reset', '--install-service'], {
      XDG_CONFIG_HOME: xdg,
      PATH: makeTempDir('onboard-path'),
    });
    expect(reset.code).toBe(0);
    expect(JSON.parse(readFileSync(configFile(home), 'utf8'))).toEqual({
      model: 'custom/test-model',
      providers: { custom: { baseURL: model.baseURL } },
    });
    expect(reset.stdout).toContain(`wrote ${join(xdg, 'systemd', 'user', 'openviber-gateway.service')}`);
    expect(existsSync(join(xdg, 'systemd', 'user', 'openviber-daemon.service'))).toBe(true);
  });

  it('a refused key is a precise error; nothing is written and the key is not printed', async () => {
    const refusing = await startLocalHttpServer((_request, response) =>
      sendJson(response, 401, {
        error: { message: `Incorrect API key provided: ${KEY.slice(0, 6)}***cdef.`, code: 'invalid_api_key' },
      }),
    );
    onCleanup(() => refusing.close());
    const home = makeTempDir('onboard');
    const onboard = await viber(
      home,
      ['onboard', '--non-interactive', '--provider', 'openai', '--base-url', `${refusing.url}/v1`],
      { OPENAI_API_KEY: KEY },
    );
    expect(onboard.code).toBe(1);
    expect(onboard.stderr).toContain(
      `viber: ${refusing.url}/v1/models refused the API key (HTTP 401: Incorrect API key provided: [redacted]); check the key; nothing was written`,
    );
    expect(refusing.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(`${onboard.stdout}${onboard.stderr}`).not.toContain(KEY.slice(0, 6));
    expect(existsSync(configFile(home))).toBe(false);
  });

  it('an unreachable endpoint is a precise error and writes nothing', async () => {
    const closed = await startLocalHttpServer(() => {});
    await closed.close();
    const home = makeTempDir('onboard');
    const onboard = await viber(home, [
      'onboard',
      '--non-interactive',
      '--provider',
      'custom',
      '--base-url',
      `${closed.url}/v1`,
      '--model',
      'llama3.1',
      '--api-key',
      KEY,
    ]);
    expect(onboard.stderr).toContain('viber: warning: --api-key puts the key on the command line');
    expect(onboard.code).toBe(1);
    expect(onboard.stderr).toContain(
      `viber: cannot reach ${closed.url}/v1/models: ECONNREFUSED; nothing was written`,
    );
    expect(existsSync(configFile(home))).toBe(false);
  });

  it('refuses to ask questions without a terminal, and names a missing key variable', async () => {
    const home = makeTempDir('onboard');
    const asked = await viber(home, ['onboard']);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain(
      'viber onboard asks its questions on a terminal; in a script use --non-interactive',
    );
    const missing = await viber(home, [
      'onboard',
      '--non-interactive',
      '--provider',
      'anthropic',
      '--api-key-env',
      'NOT_SET_ANYWHERE',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--api-key-env NOT_SET_ANYWHERE: that variable is not set or empty');
    const mismatched = await viber(home, [
      'onboard',
      '--non-interactive',
      '--provider',
      'custom',
      '--base-url',
      'http://127.0.0.1:9/v1',
      '--model',
      'openai/gpt-4.1',
    ]);
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toBe(
      'viber: --model openai/gpt-4.1 is a model of openai, but the provider is custom\n',
    );
    expect(existsSync(configFile(home))).toBe(false);
  });
});
