import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalStack } from '../../../test/support/in-process/terminal-stack.ts';
import { TEST_OPERATOR_TOKEN } from '../../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../../test/support/wait.ts';

const VIBER = join(import.meta.dirname, '..', '..', '..', 'bin', 'viber.js');

/** `viber term ...` as a user runs it: a separate process, stdin not a TTY. */
function viber(
  stack: TerminalStack,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [VIBER, 'term', ...args, '--gateway', stack.gateway.gateway.url, '--token', TEST_OPERATOR_TOKEN],
      {
        env: {
          PATH: process.env.PATH,
          OPENVIBER_HOME: stack.gateway.home.root,
          OPENVIBER_LOG_LEVEL: 'silent',
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

describe('viber term', () => {
  let stack: TerminalStack;
  beforeAll(async () => {
    stack = await TerminalStack.start();
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it('creates, lists, sends, resizes and attaches without a TTY', async () => {
    const created = await viber(stack, ['create', stack.viberId, 'cli']);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain('created cli');
    await waitFor(() => stack.tmux('capture-pane', '-p', '-t', '=cli:').length > 0, {
      description: 'a prompt',
    });

    const listed = await viber(stack, ['list', stack.viberId, '--json']);
    expect(JSON.parse(listed.stdout)[0]).toMatchObject({ name: 'cli' });

    expect(
      (await viber(stack, ['send', stack.viberId, 'cli', 'echo', 'sent-$((2+3))', '--enter'])).code,
    ).toBe(0);
    await waitFor(() => stack.tmux('capture-pane', '-p', '-t', '=cli:').includes('sent-5'), {
      description: 'the sent command',
    });

    expect((await viber(stack, ['resize', stack.viberId, 'cli', '90', '30'])).code).toBe(0);
    expect(stack.tmux('display', '-p', '-t', '=cli:', '#{pane_width}')).toBe('90');

    // Piped stdin is typed into the pane; the screen and live output go to stdout.
    const attached = await viber(
      stack,
      ['attach', stack.viberId, 'cli', '--until', 'piped-9', '--timeout', '60'],
      'echo piped-$((3*3))\r',
    );
    expect(attached.code).toBe(0);
    expect(attached.stdout).toContain('sent-5');
    expect(attached.stdout).toContain('piped-9');
    expect(attached.stderr).toContain('[detached: saw "piped-9"]');

    const timedOut = await viber(stack, ['attach', stack.viberId, 'cli', '--timeout', '1']);
    expect(timedOut.code).toBe(0);
    expect(timedOut.stderr).toContain('--timeout 1 s reached');
  });

  it('attach shows a keystroke the viber could not deliver and stays attached', async () => {
    expect((await viber(stack, ['create', stack.viberId, 'moving'])).code).toBe(0);
    await waitFor(() => stack.tmux('capture-pane', '-p', '-t', '=moving:').length > 0, {
      description: 'a prompt',
    });
    const child = spawn(
      process.execPath,
      [VIBER, 'term', 'attach', stack.viberId, 'moving:0', '--timeout', '60'].concat([
        '--gateway',
        stack.gateway.gateway.url,
        '--token',
        TEST_OPERATOR_TOKEN,
      ]),
      {
        env: {
          PATH: process.env.PATH,
          OPENVIBER_HOME: stack.gateway.home.root,
          OPENVIBER_LOG_LEVEL: 'silent',
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stdout.length > 0, { description: 'the screen' });
      // The window is renumbered: the pane lives on (still watched), but `moving:0` names nothing,
      // so the keystrokes typed to it fail on the viber.
      stack.tmux('move-window', '-s', '=moving:0', '-t', '=moving:7');
      child.stdin.write('echo lost\r');
      await waitFor(() => /\[error: .*\(not_found\)\]/.test(stderr), { description: 'the error on stderr' });
    } finally {
      child.kill('SIGTERM');
    }
    // It was still attached: the signal is what ended it.
    expect(await exited).toBe(0);
    expect(stderr).toContain('[detached: interrupted]');
  });

  it('fails with one clear line on bad input', async () => {
    const unknown = await viber(stack, ['attach', stack.viberId, 'nowhere', '--timeout', '5']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/viber: .*nowhere.*\(not_found\)/);
    const badTarget = await viber(stack, ['send', stack.viberId, 'bad target!', 'x']);
    expect(badTarget.code).toBe(2);
    // An id the gateway does not know is not "not connected" (test/e2e/cli-rough-edges.test.ts).
    const missing = await viber(stack, ['list', 'viber_missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'viber: no such viber: viber_missing (viber vibers list shows the registered ones)\n',
    );
  });
});
