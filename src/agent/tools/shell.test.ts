import { existsSync, readFileSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { createToolSet } from './index.ts';
import type { ShellResult } from './shell.ts';

/** Alive means signalable and not a zombie waiting for a parent that will never reap it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('shell', () => {
  const t = useToolContext({ GREETING: 'hello from env' });
  afterEach(async () => {
    t.controller.abort();
  });

  it('runs a command in the working directory with the context env and records evidence', async () => {
    const tools = createToolSet(t.context);
    const result = await callTool<ShellResult>(
      tools,
      'shell',
      { command: 'pwd; echo "$GREETING"; echo oops >&2; exit 3' },
      'call_a',
    );
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, aborted: false });
    expect(result.output).toBe(`${t.workspace}\nhello from env\noops\n`);
    expect(t.evidence).toEqual([
      expect.objectContaining({ kind: 'tool-call', toolCallId: 'call_a', tool: 'shell', ok: false }),
    ]);
    expect(t.evidence[0]).toMatchObject({ input: expect.stringContaining('$ pwd') });
  });

  it('runs in a cwd inside the workspace and refuses one outside, also through a symlink', async () => {
    const tools = createToolSet(t.context);
    await callTool(tools, 'shell', { command: 'mkdir sub' });
    expect((await callTool<ShellResult>(tools, 'shell', { command: 'pwd', cwd: 'sub' })).output).toBe(
      `${t.workspace}/sub\n`,
    );
    const outside = await callTool(tools, 'shell', { command: 'pwd', cwd: '../outside' });
    expect(outside.error).toMatch(/outside the allowed roots/);
    await symlink(t.outside, join(t.workspace, 'escape'));
    expect((await callTool(tools, 'shell', { command: 'pwd', cwd: 'escape' })).error).toMatch(
      /outside the allowed roots/,
    );
  });

  it('kills the whole process group when the task is stopped', async () => {
    const tools = createToolSet(t.context);
    const pidFile = join(t.workspace, 'child.pid');
    const running = callTool<ShellResult>(tools, 'shell', {
      command: `bash -c 'sleep 30' & echo $! > ${pidFile}; sleep 30; wait`,
    });
    const pid = Number(
      await waitFor(async () => existsSync(pidFile) && (await readFile(pidFile, 'utf8')).trim()),
    );
    expect(isAlive(pid)).toBe(true);
    t.controller.abort();
    const result = await running;
    expect(result).toMatchObject({ aborted: true, timedOut: false, exitCode: null });
    expect(result.note).toMatch(/stopped/);
    await waitFor(() => !isAlive(pid), { description: `child ${pid} to be gone` });
  });

  it('kills the process group on timeout and says so', async () => {
    const tools = createToolSet(t.context);
    const pidFile = join(t.workspace, 'child.pid');
    const result = await callTool<ShellResult>(tools, 'shell', {
      command: `echo started; sleep 30 & echo $! > ${pidFile}; wait`,
      timeoutSeconds: 2,
    });
    expect(result).toMatchObject({ timedOut: true, aborted: false, exitCode: null, signal: 'SIGTERM' });
    expect(result.output).toBe('started\n');
    expect(result.note).toMatch(/timed out after 2 s/);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await waitFor(() => !isAlive(pid), { description: `child ${pid} to be gone` });
    expect(t.evidence.at(-1)).toMatchObject({ tool: 'shell', ok: false });
  });

  it('escalates to SIGKILL for a command that ignores SIGTERM', async () => {
    const tools = createToolSet(t.context);
    const result = await callTool<ShellResult>(tools, 'shell', {
      command: "trap '' TERM; echo ready; while true; do sleep 0.1; done",
      timeoutSeconds: 2,
    });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });

  it('returns after bash exits even when a background child holds the output, and kills it at stop', async () => {
    const tools = createToolSet(t.context);
    const pidFile = join(t.workspace, 'bg.pid');
    const result = await callTool<ShellResult>(tools, 'shell', {
      command: `sleep 30 & echo $! > ${pidFile}; echo done`,
    });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.output).toBe('done\n');
    expect(result.note).toMatch(/background/);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(true);
    t.controller.abort();
    await waitFor(() => !isAlive(pid), { description: `background child ${pid} to be gone` });
  });

  it('does not hang on a command that reads stdin', async () => {
    const tools = createToolSet(t.context);
    const result = await callTool<ShellResult>(tools, 'shell', { command: 'cat; echo after' });
    expect(result).toMatchObject({ exitCode: 0, output: 'after\n' });
  });

  it('truncates huge output, keeping head and tail, with the full text in an artifact', async () => {
    const tools = createToolSet(t.context);
    const result = await callTool<ShellResult>(tools, 'shell', { command: 'seq 1 200000' }, 'call_big');
    expect(result.exitCode).toBe(0);
    expect(result.output!.length).toBeLessThanOrEqual(30_000);
    expect(result.output).toMatch(/^1\n2\n3\n/);
    expect(result.output).toMatch(/199999\n200000\n$/);
    const artifact = /The full text is in (\S+)/.exec(result.output!)?.[1];
    expect(artifact).toBe(join(t.context.artifactsDir, 'shell-call_big-output.txt'));
    const full = await readFile(artifact!, 'utf8');
    expect(full.split('\n').length).toBe(200_001);
    expect(full.endsWith('199999\n200000\n')).toBe(true);
  });

  it('spills output beyond the memory bound to the artifact as it arrives', async () => {
    const tools = createToolSet(t.context);
    // About 3 MB: three times the in-memory bound.
    const result = await callTool<ShellResult>(tools, 'shell', { command: 'seq 1 450000' }, 'call_huge');
    expect(result.exitCode).toBe(0);
    expect(result.output!.length).toBeLessThanOrEqual(30_000);
    expect(result.output).toMatch(/bytes cut/);
    expect(result.output).toMatch(/449999\n450000\n$/);
    const full = await readFile(join(t.context.artifactsDir, 'shell-call_huge-output.txt'), 'utf8');
    expect(full.split('\n').length).toBe(450_001);
  });

  it('answers malformed input with an error naming the field', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'shell', { command: 42 })).error).toMatch(
      /^Invalid input for shell: command: /,
    );
    expect((await callTool(tools, 'shell', { command: '  ' })).error).toMatch(
      /command: command must not be empty/,
    );
    expect((await callTool(tools, 'shell', { command: 'true', timeoutSeconds: 601 })).error).toMatch(
      /timeoutSeconds/,
    );
    expect((await callTool(tools, 'shell', 'ls')).error).toMatch(/\(input\)/);
    expect(t.evidence.every((item) => item.kind === 'tool-call' && !item.ok)).toBe(true);
  });

  it('refuses to start once the task is stopped', async () => {
    t.controller.abort();
    const result = await callTool(createToolSet(t.context), 'shell', { command: 'echo no' });
    expect(result.error).toMatch(/stopped before this tool call ran/);
  });
});
