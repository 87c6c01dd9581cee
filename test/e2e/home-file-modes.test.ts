import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';

// Hardening issue, item 2: every file OpenViber creates under its home is 0600 and every folder
// 0700 (database, -wal, -shm, keys, session logs, usage, workspace, memory, and what the task's
// own tools and commands write there). Real gateway and daemon on fresh homes, a task through the
// scripted model that writes files, runs a command, remembers a habit and saves an artifact.

useE2eCleanup();

const DONE = 'Wrote the notes, built the result and saved the summary.';

function script({ body }: { body: ChatRequestBody }): ScriptTurn {
  if (lastMessage(body)?.role === 'tool') return { type: 'text', text: DONE };
  return {
    type: 'tool-calls',
    calls: [
      { id: 'call_write', name: 'write_file', input: { path: 'notes/out.txt', content: 'hello\n' } },
      {
        id: 'call_shell',
        name: 'shell',
        input: {
          command: 'mkdir -p build/deep && echo built > build/deep/result.txt && touch made-by-shell',
        },
      },
      { id: 'call_remember', name: 'remember', input: { kind: 'habit', text: 'Greet the operator first.' } },
      { id: 'call_artifact', name: 'save_artifact', input: { name: 'summary.md', content: '# Summary\n' } },
    ],
  };
}

interface Entry {
  path: string;
  kind: 'file' | 'folder' | 'socket' | 'other';
  mode: string;
}

/** Every entry under `root` (root included), with its kind and permission bits. */
function walk(root: string, dir = root): Entry[] {
  const stats = lstatSync(dir);
  const entries: Entry[] = [{ path: relative(root, dir) || '.', kind: 'folder', mode: octal(stats.mode) }];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const entry = lstatSync(path);
    if (entry.isDirectory()) entries.push(...walk(root, path));
    else {
      const kind = entry.isFile() ? 'file' : entry.isSocket() ? 'socket' : 'other';
      entries.push({ path: relative(root, path), kind, mode: octal(entry.mode) });
    }
  }
  return entries;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

describe('files under the OpenViber home', () => {
  it('are 0600 and folders 0700 after a gateway and a daemon ran a task', async () => {
    const model = await startModelServer({ script });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'private' });
    const task = await gateway.rest.createTask(
      { goal: 'write, build and remember', viberId: daemon.viberId, options: { mode: 'always-execute' } },
      { 'idempotency-key': 'modes-1' },
    );
    const done = await waitForTaskStatus(gateway.rest, task.id, 'completed');
    expect(done.task.result?.text).toBe(DONE);

    // Walked while both still run, so the database's -wal and -shm are there too.
    const gatewayEntries = walk(gateway.home);
    const daemonEntries = walk(daemon.home);
    const paths = [...gatewayEntries, ...daemonEntries].map((entry) => entry.path);
    for (const expected of [
      'gateway/openviber.db',
      'gateway/openviber.db-wal',
      'gateway/openviber.db-shm',
      'gateway/master-key',
      'workspace/usage.json',
      'memory/habits.md',
      `agents/default/sessions/${task.id}.jsonl`,
    ]) {
      expect(paths).toContain(expected);
    }
    // What the task wrote, wherever its working directory is in the workspace.
    for (const written of [
      'notes/out.txt',
      'build/deep/result.txt',
      'made-by-shell',
      'artifacts/summary.md',
    ]) {
      expect(paths.filter((path) => path.startsWith('workspace/') && path.endsWith(written))).toHaveLength(1);
    }

    // A socket (the daemon's tmux server) gets its mode from tmux, which adds the owner's execute
    // bit while a client is attached: it only has to be private, like everything else.
    const wrong = [...gatewayEntries, ...daemonEntries].filter(
      (entry) =>
        (entry.kind === 'file' && entry.mode !== '0600') ||
        (entry.kind === 'folder' && entry.mode !== '0700') ||
        (entry.kind === 'socket' && (Number.parseInt(entry.mode, 8) & 0o077) !== 0) ||
        entry.kind === 'other',
    );
    expect(wrong).toEqual([]);
  });
});
