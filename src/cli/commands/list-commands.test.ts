import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';

const VIBER = join(import.meta.dirname, '..', '..', '..', 'bin', 'viber.js');

// The list commands as a person or a script runs them: a page by default, `--limit`, `--cursor`
// (the one the page printed) and `--all`, against a real gateway.

describe('viber vibers|task|env|devices list, a page at a time', () => {
  let harness: TestGateway;
  const vibers: { id: string; name: string }[] = [];
  beforeAll(async () => {
    harness = await TestGateway.start();
    for (const name of ['eve', 'Alice', 'dave', 'bob', 'carol']) {
      vibers.push(await harness.gateway.registerViber(name));
    }
    for (let index = 0; index < 5; index++) {
      await harness.client.call('tasks.create', { body: { goal: `goal ${index}`, viberId: vibers[0]!.id } });
    }
    for (const name of ['web', 'api', 'docs']) {
      await harness.client.call('environments.create', { body: { name, type: 'manual' } });
    }
  });
  afterAll(async () => {
    await harness.cleanup();
  });

  function viber(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [VIBER, ...args, '--gateway', harness.gateway.url, '--token', TEST_OPERATOR_TOKEN],
        {
          env: { PATH: process.env.PATH, OPENVIBER_HOME: harness.home.root, OPENVIBER_LOG_LEVEL: 'silent' },
          timeout: 30_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }
  const ids = (stdout: string) => (JSON.parse(stdout) as { id: string }[]).map((row) => row.id);
  const cursorIn = (stderr: string) => /--cursor (\S+)/.exec(stderr)?.[1];

  it('prints one page, says how to read the next on stderr, and reads every page with --all', async () => {
    const byName = ['Alice', 'bob', 'carol', 'dave', 'eve'].map(
      (name) => vibers.find((viber) => viber.name === name)!.id,
    );
    const first = await viber(['vibers', 'list', '--limit', '2', '--json']);
    expect(first.code).toBe(0);
    expect(ids(first.stdout)).toEqual(byName.slice(0, 2));
    const cursor = cursorIn(first.stderr);
    expect(cursor).toBeDefined();
    const second = await viber(['vibers', 'list', '--limit', '2', '--cursor', cursor!, '--json']);
    expect(ids(second.stdout)).toEqual(byName.slice(2, 4));
    const all = await viber(['vibers', 'list', '--all', '--limit', '2', '--json']);
    expect(ids(all.stdout)).toEqual(byName);
    expect(all.stderr).toBe('');
    const named = await viber(['vibers', 'list', '--name', 'AL']);
    expect(named.stdout).toContain('Alice');
    expect(named.stdout).not.toContain('bob');
    expect((await viber(['vibers', 'list', '--presence', 'online'])).stdout).toContain(
      'no vibers registered',
    );
  });

  it('pages tasks newest first, environments by name and devices, with their filters', async () => {
    const tasks = await viber(['task', 'list', '--limit', '3', '--json']);
    expect(JSON.parse(tasks.stdout).map((task: { goal: string }) => task.goal)).toEqual([
      'goal 4',
      'goal 3',
      'goal 2',
    ]);
    const rest = await viber(['task', 'list', '--limit', '3', '--cursor', cursorIn(tasks.stderr)!, '--json']);
    expect(JSON.parse(rest.stdout).map((task: { goal: string }) => task.goal)).toEqual(['goal 1', 'goal 0']);
    expect(rest.stderr).toBe('');
    expect(ids((await viber(['task', 'list', '--viber', vibers[1]!.id, '--json'])).stdout)).toEqual([]);

    const environments = await viber(['env', 'list', '--limit', '1']);
    expect(environments.stdout).toMatch(/ api /);
    expect(cursorIn(environments.stderr)).toBeDefined();
    const everyEnvironment = await viber(['env', 'list', '--all', '--json']);
    expect(JSON.parse(everyEnvironment.stdout).map((env: { name: string }) => env.name)).toEqual([
      'api',
      'docs',
      'web',
    ]);
    expect(JSON.parse((await viber(['env', 'list', '--name', 'we', '--json'])).stdout)).toHaveLength(1);

    const operators = await viber(['devices', 'list', '--role', 'operator', '--json']);
    expect(ids(operators.stdout)).toEqual(['operator-token']);
    const devices = await viber(['devices', 'list', '--all', '--limit', '1', '--json']);
    expect(ids(devices.stdout)).toHaveLength(6);
  });

  it('refuses a bad --limit, --cursor or filter with one line and exit code 2', async () => {
    for (const [args, message] of [
      [['vibers', 'list', '--limit', '0'], '--limit: invalid value "0"'],
      [['task', 'list', '--limit', '501'], '--limit: invalid value "501"'],
      [['env', 'list', '--cursor', 'not a cursor'], '--cursor: invalid value "not a cursor"'],
      [['devices', 'list', '--status', 'lost'], '--status: invalid value "lost"'],
      [['vibers', 'list', '--presence', 'away'], '--presence: invalid value "away"'],
      [['devices', 'list', '--role', 'admin'], '--role: invalid value "admin"'],
    ] as const) {
      const refused = await viber([...args]);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr.trim()).toContain(message);
    }
    const foreign = await viber([
      'task',
      'list',
      '--cursor',
      Buffer.from('["vibers","a","b"]').toString('base64url'),
    ]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('gateway answered 400: cursor: a cursor of the vibers list');
  });
});
