import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../../test/support/e2e-cleanup.ts';
import { REPO_ROOT, spawnNode } from '../../test/support/processes.ts';
import { makeTempDir } from '../../test/support/temp-dirs.ts';
import { humanLine } from './logger.ts';

useE2eCleanup();

describe('humanLine', () => {
  it('turns a JSON log line into one line a person reads, without the noise or a stack', () => {
    const json = JSON.stringify({
      level: 40,
      time: 1,
      pid: 2,
      hostname: 'h',
      component: 'daemon',
      taskId: 'task_1',
      err: { message: 'connect ECONNREFUSED', stack: 'Error: connect\n    at x' },
      msg: 'model call failed;\nretrying',
    });
    expect(humanLine(json)).toBe(
      'warning daemon: model call failed; retrying: connect ECONNREFUSED (taskId=task_1)\n',
    );
    expect(humanLine(JSON.stringify({ level: 50, msg: 'boom', attempt: 3 }))).toBe(
      'error boom (attempt=3)\n',
    );
    expect(humanLine('not json')).toBe('not json\n');
  });
});

describe('OPENVIBER_LOG_FILE', () => {
  it('writes every line to the file and shows only warnings and errors, one human line each', async () => {
    const file = join(makeTempDir('logs'), 'logs', 'probe.log');
    const probe = spawnNode(
      [
        '--input-type=module',
        '-e',
        `const { createLogger } = await import(${JSON.stringify(join(REPO_ROOT, 'src/core/logger.ts'))});
         const log = createLogger('probe', { viberId: 'viber_1' });
         log.info('routine');
         log.warn({ token: 'ovo_secret' }, 'something to see');`,
      ],
      { name: 'log-probe', env: { OPENVIBER_LOG_FILE: file } },
    );
    expect((await probe.exited).code).toBe(0);
    expect(probe.stderr).toBe('warning probe: something to see (viberId=viber_1, token=[Redacted])\n');
    expect(probe.stdout).toBe('');
    expect(existsSync(file)).toBe(true);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; level: number; token?: string });
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [30, 'routine'],
      [40, 'something to see'],
    ]);
    expect(lines[1]?.token).toBe('[Redacted]');
  });
});
