import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TerminalStack } from '../../../test/support/in-process/terminal-stack.ts';
import { TerminalViewer } from '../../../test/support/terminal-viewer.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { LIMITS } from '../../protocol/index.ts';

describe('terminals through the gateway, with real tmux', () => {
  let stack: TerminalStack;

  beforeEach(async () => {
    stack = await TerminalStack.start();
  });
  afterEach(async () => {
    await stack.cleanup();
  });

  /** Creates a session through the gateway and waits for its shell's prompt (typing before it is lost). */
  async function createSession(client: TerminalViewer, session: string): Promise<string> {
    const created = await client.request({
      type: 'terminal:create',
      viberId: stack.viberId,
      session,
      cols: 80,
      rows: 24,
    });
    await waitFor(() => stack.tmux('capture-pane', '-p', '-t', created.target).length > 0, {
      description: 'a prompt',
    });
    return created.target;
  }

  it('creates a session, types a command from a WebSocket client and receives its output', async () => {
    const client = await stack.client();
    expect(client.access).toBe('write');
    const paneId = await createSession(client, 'work');
    const listed = await client.request({
      type: 'terminal:list',
      viberId: stack.viberId,
    });
    expect(listed.sessions.map((session) => session.name)).toContain('work');

    client.send({ type: 'terminal:attach', viberId: stack.viberId, target: 'work' });
    const screen = await client.waitFor(
      (message) => message.type === 'terminal:screen' && message.target === 'work',
    );
    expect(screen).toMatchObject({ paneId, cols: 80, rows: 24 });
    client.send({
      type: 'terminal:input',
      viberId: stack.viberId,
      target: 'work',
      keys: 'echo $((6*7))-typed\r',
    });
    await waitFor(() => client.output('work').includes('42-typed'), {
      description: 'the command output',
    });
  });

  it('resizes the pane, as `tmux display -p #{pane_width}` shows', async () => {
    const client = await stack.client();
    await createSession(client, 'sized');
    await client.request({
      type: 'terminal:resize',
      viberId: stack.viberId,
      target: 'sized',
      cols: 132,
      rows: 43,
    });
    expect(stack.tmux('display', '-p', '-t', '=sized:', '#{pane_width}x#{pane_height}')).toBe('132x43');
  });

  it('serves two viewers at once, and one that stops reading does not block the other', async () => {
    const writer = await stack.client();
    await createSession(writer, 'shared');
    const slow = await stack.client('read');
    for (const viewer of [writer, slow]) {
      viewer.send({ type: 'terminal:attach', viberId: stack.viberId, target: 'shared' });
      await viewer.waitFor((message) => message.type === 'terminal:screen');
    }
    writer.send({
      type: 'terminal:input',
      viberId: stack.viberId,
      target: 'shared',
      keys: 'echo both-see-this\r',
    });
    for (const viewer of [writer, slow])
      await waitFor(() => viewer.output('shared').includes('both-see-this\r\n'), {
        description: 'output at both',
      });

    // The slow viewer stops reading: its socket's buffers fill, the gateway drops its backlog.
    slow.pause();
    const flood = 'seq 1 1500000; echo flood-$((1+1))-done\r';
    writer.send({ type: 'terminal:input', viberId: stack.viberId, target: 'shared', keys: flood });
    await waitFor(() => writer.output('shared').includes('flood-2-done'), {
      timeoutMs: 60_000,
      description: 'the live viewer to see the end',
    });

    // Once it reads again it is repainted from the current screen, which shows the end.
    slow.resume();
    await waitFor(
      () =>
        slow.received.some(
          (message) => message.type === 'terminal:screen' && message.data.includes('flood-2-done'),
        ),
      { timeoutMs: 60_000, description: 'the slow viewer to be repainted' },
    );
    // What it missed was dropped, not queued: it never received the whole flood.
    expect(slow.output('shared')).not.toContain('\r\n1500000\r\n');
  });

  it('gives a binary and a JSON viewer of one pane the same output, byte for byte', async () => {
    const binary = await stack.client();
    const json = await stack.client('read', 'json');
    expect([binary.connection.output, json.connection.output]).toEqual(['binary', 'json']);
    await createSession(binary, 'both');
    for (const viewer of [binary, json]) {
      viewer.send({ type: 'terminal:attach', viberId: stack.viberId, target: 'both' });
      await viewer.waitFor((message) => message.type === 'terminal:screen');
    }
    const lines = Array.from(
      { length: 20_000 },
      (_, index) => `${index} é€😀 \x1b[7mrev\x1b[0m \\ ${'.'.repeat(index % 90)}\n`,
    );
    const file = join(dirname(stack.socketPath), 'both.txt');
    writeFileSync(file, lines.join(''));
    binary.send({
      type: 'terminal:input',
      viberId: stack.viberId,
      target: 'both',
      keys: `echo begin-$((1+1)); cat ${file}; echo end-$((1+1))\r`,
    });
    const between = (viewer: TerminalViewer) => {
      const text = viewer.output('both');
      const start = text.indexOf('begin-2\r\n');
      const end = text.indexOf('end-2', start);
      return start === -1 || end === -1 ? undefined : text.slice(start + 'begin-2\r\n'.length, end);
    };
    const expected = lines.join('').replaceAll('\n', '\r\n');
    for (const viewer of [binary, json]) {
      expect(await waitFor(() => between(viewer), { timeoutMs: 60_000, description: 'the cat' })).toBe(
        expected,
      );
    }
  });

  it('refuses typing on a read-only connection', async () => {
    const writer = await stack.client();
    await createSession(writer, 'ro');
    const reader = await stack.client('read');
    await expect(
      reader.request({ type: 'terminal:input', viberId: stack.viberId, target: 'ro', keys: 'rm -rf /\r' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      reader.request({ type: 'terminal:create', viberId: stack.viberId, session: 'nope' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('answers bad input precisely and keeps the daemon running', async () => {
    const client = await stack.client();
    await createSession(client, 'sturdy');
    client.send({ type: 'terminal:attach', viberId: stack.viberId, target: 'missing' });
    const unknown = await client.waitFor(
      (message) => message.type === 'terminal:error' && message.target === 'missing',
    );
    expect(unknown).toMatchObject({ code: 'not_found' });

    const tooMuch = client.request({
      type: 'terminal:input',
      viberId: stack.viberId,
      target: 'sturdy',
      keys: 'x'.repeat(LIMITS.maxTerminalInputChars + 1),
    });
    await expect(tooMuch).rejects.toMatchObject({ code: 'input_too_large' });
    await expect(client.request({ type: 'terminal:list', viberId: 'viber_nobody' })).rejects.toMatchObject({
      code: 'viber_offline',
    });
    client.sendRaw('{"type":"terminal:attach","viberId":"x","target":"bad target!"}');
    await client.waitFor(
      (message) => message.type === 'terminal:error' && message.code === 'validation_failed',
    );
    client.sendRaw('not json');
    await client.waitFor((message) => message.type === 'terminal:error' && message.message.includes('JSON'));

    // A pane that closes while attached detaches its viewer with a reason.
    client.send({ type: 'terminal:attach', viberId: stack.viberId, target: 'sturdy' });
    await client.waitFor((message) => message.type === 'terminal:screen' && message.target === 'sturdy');
    await client.request({
      type: 'terminal:input',
      viberId: stack.viberId,
      target: 'sturdy',
      keys: 'exit\r',
    });
    const detached = await client.waitFor(
      (message) => message.type === 'terminal:detached' && message.target === 'sturdy',
    );
    expect(detached).toMatchObject({ reason: expect.stringMatching(/closed/) });

    // tmux killed (here it has already exited with its last session): requests say so, the daemon still answers.
    await createSession(client, 'victim');
    stack.tmux('kill-server');
    // kill-server returns before the server has gone: ask only once tmux itself says it has.
    await waitFor(() => {
      try {
        stack.tmux('list-sessions');
        return false;
      } catch {
        return true;
      }
    });
    client.send({ type: 'terminal:attach', viberId: stack.viberId, target: 'sturdy' });
    const gone = await client.waitFor(
      (message) =>
        message.type === 'terminal:error' &&
        message.target === 'sturdy' &&
        message.code !== 'input_too_large',
    );
    expect(gone).toMatchObject({ code: 'not_found' });
    const after = await client.request({
      type: 'terminal:list',
      viberId: stack.viberId,
    });
    expect(after.sessions).toEqual([]);
    await createSession(client, 'reborn');
  });

  it('refuses a connection without the operator token', async () => {
    await expect(
      TerminalViewer.connect(stack.gateway.gateway.url, 'wrong-token-0123456789'),
    ).rejects.toMatchObject({ code: 'unauthorized' });
  });
});

describe('terminals on a viber without tmux', () => {
  it('gives a clear tmux_missing error and keeps the daemon running', async () => {
    const stack = await TerminalStack.start({ tmuxPath: '/nonexistent' });
    try {
      const client = await stack.client();
      await expect(client.request({ type: 'terminal:list', viberId: stack.viberId })).rejects.toMatchObject({
        code: 'tmux_missing',
      });
      await expect(
        client.request({ type: 'terminal:create', viberId: stack.viberId, session: 'x' }),
      ).rejects.toMatchObject({ code: 'tmux_missing' });
      expect(stack.daemon.controller.isOpen).toBe(true);
    } finally {
      await stack.cleanup();
    }
  });
});
