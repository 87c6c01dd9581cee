import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';

// `viber config` on a real home: dotted keys, JSON-or-text values, every write validated first.

useE2eCleanup();

async function viber(home: string, args: string[], env: Record<string, string> = {}) {
  const process = spawnViber(args, { name: `config-${args[1]}`, env: { OPENVIBER_HOME: home, ...env } });
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderr };
}

const fileOf = (home: string) => join(home, 'config', 'config.json');

describe('viber config', () => {
  it('sets, gets and unsets dotted keys; values are JSON when they parse, else text', async () => {
    const home = makeTempDir('config');
    expect((await viber(home, ['config', 'path'])).stdout).toBe(`${fileOf(home)}\n`);

    expect((await viber(home, ['config', 'set', 'agent.mode', 'always-ask'])).stdout).toBe(
      `set agent.mode in ${fileOf(home)}\n`,
    );
    expect((await viber(home, ['config', 'set', 'agent.maxSteps', '12'])).code).toBe(0);
    expect((await viber(home, ['config', 'set', 'agent.allow', '["npm test"]'])).code).toBe(0);
    expect(JSON.parse(readFileSync(fileOf(home), 'utf8'))).toEqual({
      agent: { mode: 'always-ask', maxSteps: 12, allow: ['npm test'] },
    });
    expect(statSync(fileOf(home)).mode & 0o777).toBe(0o600);

    expect((await viber(home, ['config', 'get', 'agent.mode'])).stdout).toBe('always-ask\n');
    expect(JSON.parse((await viber(home, ['config', 'get', 'agent'])).stdout)).toEqual({
      mode: 'always-ask',
      maxSteps: 12,
      allow: ['npm test'],
    });

    expect((await viber(home, ['config', 'unset', 'agent.allow'])).code).toBe(0);
    expect((await viber(home, ['config', 'unset', 'agent.maxSteps'])).code).toBe(0);
    expect((await viber(home, ['config', 'unset', 'agent.mode'])).code).toBe(0);
    // The emptied `agent` goes with its last key.
    expect(JSON.parse(readFileSync(fileOf(home), 'utf8'))).toEqual({});
    const missing = await viber(home, ['config', 'get', 'agent.mode']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`viber: agent.mode is not set in ${fileOf(home)}\n`);
  });

  it('refuses an invalid write with the precise error and leaves the file byte for byte', async () => {
    const home = makeTempDir('config');
    expect((await viber(home, ['config', 'set', 'model', 'custom/llama3.1'])).code).toBe(0);
    const before = readFileSync(fileOf(home), 'utf8');
    for (const [args, message] of [
      [
        ['set', 'agent.mode', 'sometimes'],
        'agent.mode: Invalid option: expected one of "always-ask"|"agent-decides"|"always-execute"',
      ],
      [['set', 'agent.maxSteps', '0'], 'agent.maxSteps: Too small: expected number to be >=1'],
      [['set', 'agnet.mode', 'always-ask'], '(root): Unrecognized key: "agnet"'],
      [
        ['set', 'model', 'llama3.1'],
        'model: must be <provider>/<model> with provider openai, anthropic or custom',
      ],
    ] as const) {
      const result = await viber(home, ['config', ...args]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`viber: ${fileOf(home)}: ${message}; nothing was written\n`);
      expect(readFileSync(fileOf(home), 'utf8')).toBe(before);
    }
  });

  it('redacts API keys unless --show-secrets', async () => {
    const home = makeTempDir('config');
    const key = 'sk-config-secret-123456';
    expect((await viber(home, ['config', 'set', 'providers.openai.apiKey', key])).stdout).not.toContain(key);
    const whole = await viber(home, ['config', 'get']);
    expect(JSON.parse(whole.stdout)).toEqual({ providers: { openai: { apiKey: '[redacted:apiKey]' } } });
    expect((await viber(home, ['config', 'get', 'providers.openai.apiKey'])).stdout).toBe(
      '[redacted:apiKey]\n',
    );
    expect((await viber(home, ['config', 'get', 'providers.openai.apiKey', '--show-secrets'])).stdout).toBe(
      `${key}\n`,
    );
  });

  it('edit keeps a valid edit and refuses an invalid one, keeping the draft', async () => {
    const home = makeTempDir('config');
    const editor = join(makeTempDir('editor'), 'editor.mjs');
    // An "editor" that writes the content of EDIT_WITH into the file it is given.
    writeFileSync(
      editor,
      "import { writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2], process.env.EDIT_WITH);\n",
    );
    const edit = (content: string) =>
      viber(home, ['config', 'edit'], { EDITOR: `${process.execPath} ${editor}`, EDIT_WITH: content });

    const saved = await edit('{ "agent": { "mode": "agent-decides" } }\n');
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(`saved ${fileOf(home)}\n`);
    const before = readFileSync(fileOf(home), 'utf8');

    const refused = await edit('{ "agent": { "mode": 3 } }\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `viber: ${fileOf(home)}: agent.mode: Invalid option: expected one of "always-ask"|"agent-decides"|"always-execute"; nothing changed, the edit is in ${fileOf(home)}.edit.json`,
    );
    expect(readFileSync(fileOf(home), 'utf8')).toBe(before);
    expect(readFileSync(`${fileOf(home)}.edit.json`, 'utf8')).toBe('{ "agent": { "mode": 3 } }\n');

    const broken = await edit('{ not json');
    expect(broken.stderr).toContain(`viber: ${fileOf(home)}: invalid JSON:`);
    expect(readFileSync(fileOf(home), 'utf8')).toBe(before);
  });

  it('names the file when config.json itself is not JSON', async () => {
    const home = makeTempDir('config');
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(fileOf(home), '{ "model": ');
    const result = await viber(home, ['config', 'set', 'agent.mode', 'always-ask']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`viber: ${fileOf(home)}: invalid JSON:`);
    expect(readFileSync(fileOf(home), 'utf8')).toBe('{ "model": ');
  });
});
