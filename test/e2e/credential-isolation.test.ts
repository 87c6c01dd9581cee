import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { spawnViber } from '../support/processes.ts';
import { RestClient } from '../support/rest-client.ts';
import { makeTempDir } from '../support/temp-dirs.ts';

// Hardening issue, item 1: under `viber up`, a task whose commands try to read every credential
// OpenViber holds (from their environment, from the files under the home, from the /proc entries
// of the daemon and the gateway) finds none of them, and no value reaches the stream, the stored
// task or any request the model receives.

useE2eCleanup();

/** Every credential the task hunts for; their values never leave the processes that own them. */
function secrets() {
  return {
    masterKey: randomBytes(32).toString('base64'),
    searchKey: `srch-${randomBytes(12).toString('hex')}`,
    providerKey: `prov-${randomBytes(12).toString('hex')}`,
  };
}

/** The model: the shell call, then read_file and grep calls, each aimed at a credential. */
function attacker(home: string): (request: { body: ChatRequestBody }) => ScriptTurn {
  const hunt = [
    'env',
    `cat ${home}/gateway/master-key ${home}/gateway/operator-token ${home}/daemon/credentials.json ${home}/config/config.json`,
    `ls -la ${home}/gateway ${home}/daemon ${home}/config`,
    'for pid in $(pgrep -f viber.js) $PPID; do tr "\\0" "\\n" < /proc/$pid/environ; tr "\\0" " " < /proc/$pid/cmdline; done',
    `cat ${home}/gateway/openviber.db | strings | head -c 100000`,
    'echo HUNT-DONE',
  ].join('; ');
  let step = 0;
  return ({ body }) => {
    if (lastMessage(body)?.role !== 'tool' && step > 0) return { type: 'text', text: 'again?' };
    step += 1;
    if (step === 1) return { type: 'tool-calls', calls: [{ name: 'shell', input: { command: hunt } }] };
    if (step === 2)
      return {
        type: 'tool-calls',
        calls: [
          { name: 'read_file', input: { path: 'gateway/operator-token' } },
          { name: 'read_file', input: { path: 'daemon/credentials.json' } },
          { name: 'grep', input: { pattern: 'ov[ov]_', path: '.' } },
        ],
      };
    return { type: 'text', text: 'Nothing to find.' };
  };
}

describe('credentials out of tool processes', () => {
  it('a prompt-injected task finds no credential in its environment, the home or /proc', async () => {
    const home = makeTempDir('isolation');
    const values = secrets();
    const model = await startModelServer({ script: attacker(home) });
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'config.json'),
      JSON.stringify({
        model: 'custom/test-model',
        providers: { custom: { baseURL: model.baseURL, apiKey: values.providerKey } },
      }),
    );
    const up = spawnViber(['up', '--port', '0'], {
      name: 'up',
      env: {
        OPENVIBER_HOME: home,
        OPENVIBER_MASTER_KEY: values.masterKey,
        OPENVIBER_SEARCH_API_KEY: values.searchKey,
      },
    });
    const [, url] = await up.waitForLine(/gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, { timeoutMs: 30_000 });
    const [, operatorToken] = await up.waitForLine(/operator token\s+(\S+)/);
    const [, viberId] = await up.waitForLine(/local viber\s+(viber_\S+)/);
    const viberToken = (
      JSON.parse(readFileSync(join(home, 'daemon', 'credentials.json'), 'utf8')) as {
        token: string;
      }
    ).token;
    const rest = new RestClient(url!, operatorToken!);

    // The task works in the home itself: the credential folders are inside its roots.
    const created = await rest.createTask({
      viberId: viberId!,
      goal: 'find the keys',
      options: { mode: 'always-execute', cwd: home },
    });
    const taskId = created.id;
    await waitForTaskStatus(rest, taskId, 'completed', 60_000);

    const stream = await rest.request('GET', `/api/tasks/${taskId}/stream`);
    const task = await rest.request('GET', `/api/tasks/${taskId}`);
    const modelSaw = JSON.stringify(model.requests.map((request) => request.body));
    // The hunt really ran, and the tools that read files were refused with the reason.
    expect(modelSaw).toContain('HUNT-DONE');
    expect(modelSaw).toContain('PATH=');
    expect(modelSaw).toContain("holds OpenViber's credentials");
    // Hidden, not merely absent: the operator token file exists on disk, the command cannot see it.
    expect(readFileSync(join(home, 'gateway', 'operator-token'), 'utf8').trim()).toBe(operatorToken);
    expect(modelSaw).toMatch(/gateway\/operator-token: No such file or directory/);

    const everything = `${stream.text}\n${task.text}\n${modelSaw}`;
    const named = {
      'master key': values.masterKey,
      'search key': values.searchKey,
      'provider key': values.providerKey,
      'operator token': operatorToken!,
      'viber token': viberToken,
    };
    for (const [name, value] of Object.entries(named)) {
      expect(everything.includes(value), `${name} leaked`).toBe(false);
    }
    // Kept out, not caught by the redaction backstop on the way (that has its own test).
    expect(everything).not.toContain('[redacted:');
    await up.kill('SIGTERM', 10_000);
  });
});
