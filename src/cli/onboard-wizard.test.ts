import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenAITestServer, startOpenAITestServer } from '../../test/support/openai-test-server.ts';
import { applyChoices } from './onboard-choices.ts';
import { runOnboardWizard, type WizardIo } from './onboard-wizard.ts';
import { checkProvider } from './provider-check.ts';

// The wizard's questions answered through a pipe, checking against a real scripted
// OpenAI-compatible server: each answer is written only once its question has been printed.

const servers: OpenAITestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** Runs the wizard, answering each prompt (matched by its text) in order. */
async function answer(
  io: Partial<WizardIo>,
  script: [RegExp, string][],
): Promise<{ outcome: Awaited<ReturnType<typeof runOnboardWizard>>; transcript: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  let next = 0;
  output.setEncoding('utf8').on('data', (text: string) => {
    transcript += text;
    const step = script[next];
    if (step?.[0].test(transcript.split('\n').at(-1) ?? '')) {
      next += 1;
      // A pipe does not echo: the transcript shows the answer as a terminal would.
      transcript += `${step[1]}\n`;
      input.write(`${step[1]}\n`);
    }
  });
  const running = runOnboardWizard({
    input,
    output,
    env: {},
    existing: {},
    configPath: '/home/someone/.openviber/config/config.json',
    check: (choices, apiKey) =>
      checkProvider({
        provider: choices.provider,
        ...(choices.baseURL ? { baseURL: choices.baseURL } : {}),
        ...(apiKey ? { apiKey } : {}),
      }),
    offerService: true,
    ...io,
  });
  // A question the script does not expect would wait forever: fail with what was asked instead.
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the wizard waits at:\n${transcript}`)), 20_000);
  });
  const outcome = await Promise.race([running, stuck]).finally(() => clearTimeout(timer));
  expect(next).toBe(script.length);
  return { outcome, transcript };
}

/** A port nothing listens on: one the system gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the onboard wizard', () => {
  it('asks provider, URL, key, model and mode, checks the endpoint, and offers the service', async () => {
    const server = await startOpenAITestServer({ models: ['llama3.1', 'qwen3'] });
    servers.push(server);
    const { outcome, transcript } = await answer({}, [
      [/^provider \[openai\] $/, '3'],
      [/^base URL of the OpenAI-compatible API \[http:\/\/127\.0\.0\.1:11434\/v1\] $/, server.baseURL],
      [/^API key \(Enter for none; not shown\): $/, 'sk-local-secret'],
      [/^model \[llama3\.1\] $/, '2'],
      [/^mode \[agent-decides\] $/, 'always-ask'],
      [/^install them\? \[n\] $/, 'y'],
    ]);
    expect(transcript).toContain(`✓ ${server.baseURL}/models answered: 2 models`);
    expect(transcript).toContain('  2) qwen3');
    expect(outcome).toEqual({
      action: 'write',
      reset: false,
      installService: true,
      choices: {
        provider: 'custom',
        baseURL: server.baseURL,
        apiKey: 'sk-local-secret',
        model: 'custom/qwen3',
        mode: 'always-ask',
      },
    });
  });

  it('says why a check failed and asks again; a refusal to retry ends with the reason', async () => {
    const server = await startOpenAITestServer({ models: ['llama3.1'] });
    servers.push(server);
    const closed = `http://127.0.0.1:${await closedPort()}/v1`;
    const { outcome, transcript } = await answer({ offerService: false }, [
      [/^provider/, 'custom'],
      [/^base URL/, closed],
      [/^API key/, ''],
      [/^try again\? \[y\] $/, 'y'],
      [/^provider/, 'custom'],
      [/^base URL/, server.baseURL],
      [/^API key/, ''],
      [/^model/, ''],
      [/^mode/, ''],
    ]);
    expect(transcript).toContain(`✗ cannot reach ${closed}/models: ECONNREFUSED`);
    expect(outcome).toMatchObject({
      action: 'write',
      choices: { model: 'custom/llama3.1', mode: 'agent-decides' },
    });

    await expect(
      answer({ offerService: false }, [
        [/^provider/, 'custom'],
        [/^base URL/, closed],
        [/^API key/, ''],
        [/^try again\? \[y\] $/, 'n'],
      ]),
    ).rejects.toThrow(`cannot reach ${closed}/models: ECONNREFUSED; nothing was written`);
  });

  it('uses OPENAI_API_KEY when it is set and asks for no key; the key is used, not stored', async () => {
    const server = await startOpenAITestServer({ models: ['gpt-4.1', 'gpt-5'] });
    servers.push(server);
    const keys: (string | undefined)[] = [];
    const { outcome } = await answer(
      {
        env: { OPENAI_API_KEY: 'sk-from-env' },
        offerService: false,
        // The real request, sent to the scripted server instead of api.openai.com.
        check: (choices, apiKey) => {
          keys.push(apiKey);
          return checkProvider({
            provider: choices.provider,
            baseURL: server.baseURL,
            ...(apiKey ? { apiKey } : {}),
          });
        },
      },
      [
        [/^provider \[openai\] $/, ''],
        [/^use \$OPENAI_API_KEY\? \[y\] $/, ''],
        [/^model \[gpt-4\.1\] $/, ''],
        [/^mode/, ''],
      ],
    );
    expect(keys).toEqual(['sk-from-env']);
    expect(outcome).toMatchObject({
      action: 'write',
      choices: { provider: 'openai', model: 'openai/gpt-4.1' },
    });
    if (outcome.action === 'write') expect(outcome.choices.apiKey).toBeUndefined();
  });

  it('offers keep, change or reset when a config exists; keep changes nothing', async () => {
    const existing = { model: 'openai/gpt-4.1', providers: { openai: { apiKey: 'sk-stored' } } };
    const { outcome, transcript } = await answer({ existing, offerService: false }, [
      [/^keep, change or reset it\? \[keep\] $/, ''],
    ]);
    expect(transcript).toContain('(model openai/gpt-4.1)');
    expect(outcome).toEqual({ action: 'keep', installService: false });
  });

  it('change keeps what is not asked again, and reuses the stored key without showing it', async () => {
    const server = await startOpenAITestServer({ models: ['m1'] });
    servers.push(server);
    const existing = {
      model: 'custom/m1',
      providers: { custom: { baseURL: server.baseURL, apiKey: 'sk-stored-key' } },
      budget: { perDay: { costUsd: 5 } },
    };
    const { outcome, transcript } = await answer({ existing, offerService: false }, [
      [/^keep, change or reset/, 'change'],
      [/^provider \[custom\] $/, ''],
      [/^base URL .*\[http:\/\/127\.0\.0\.1:\d+\/v1\] $/, ''],
      [/^keep the stored API key\? \[y\] $/, ''],
      [/^model \[m1\] $/, ''],
      [/^mode/, 'always-execute'],
    ]);
    expect(transcript).not.toContain('sk-stored-key');
    expect(server.requests).toHaveLength(0);
    if (outcome.action !== 'write') throw new Error('expected a write');
    expect(applyChoices(existing, outcome.choices)).toEqual({
      ...existing,
      agent: { mode: 'always-execute' },
    });
  });
});
