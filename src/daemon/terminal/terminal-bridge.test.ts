import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { stopTmuxServer } from '../../../test/support/tmux.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { type DaemonMessage, DaemonMessageSchema, LIMITS } from '../../protocol/index.ts';
import { decodeOctalEscapes } from './octal-escape.ts';
import { TerminalBridge, type TerminalRequest } from './terminal-bridge.ts';
import { TmuxRunner } from './tmux-runner.ts';

describe('decodeOctalEscapes', () => {
  it('turns \\ooo back into bytes and keeps everything else', () => {
    const line = Buffer.from('a\\015\\012b\\134c\\033[1m\xc3\xa9', 'latin1');
    expect(decodeOctalEscapes(line).toString('utf8')).toBe('a\r\nb\\c\x1b[1mé');
  });
});

describe('TerminalBridge with real tmux', () => {
  let dir: string;
  let runner: TmuxRunner;
  let bridge: TerminalBridge;
  let sent: DaemonMessage[];
  let backlog = 0;
  /** How often the bridge looked at the backlog while it was high: it does so when output arrives. */
  let lookedWhileBehind = 0;

  beforeEach(() => {
    dir = makeTempDir('tmux');
    runner = new TmuxRunner({
      socketPath: join(dir, 'tmux.sock'),
      env: { ...process.env, SHELL: '/bin/bash' },
    });
    sent = [];
    backlog = 0;
    lookedWhileBehind = 0;
    bridge = new TerminalBridge({
      runner,
      send: (message) => {
        // Everything the bridge sends must be a valid protocol message.
        DaemonMessageSchema.parse(message);
        sent.push(message);
      },
      backlogBytes: () => {
        if (backlog > 0) lookedWhileBehind += 1;
        return backlog;
      },
      highWaterBytes: 1000,
      defaultCwd: dir,
      logger: pino({ level: 'silent' }),
    });
  });

  afterEach(async () => {
    bridge.detachAll();
    await stopTmuxServer(runner.socketPath);
    removeTempDir(dir);
  });

  const request = (message: TerminalRequest) => bridge.handle(message);
  const waitForSent = <T extends DaemonMessage['type']>(
    type: T,
    match: (message: Extract<DaemonMessage, { type: T }>) => boolean = () => true,
  ) =>
    waitFor(
      () =>
        sent.find(
          (message): message is Extract<DaemonMessage, { type: T }> =>
            message.type === type && match(message as Extract<DaemonMessage, { type: T }>),
        ),
      { description: type },
    );
  const outputOf = (paneId: string) =>
    sent
      .filter((message) => message.type === 'terminal:output' && message.paneId === paneId)
      .map((message) => (message as { data: string }).data)
      .join('');
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', runner.socketPath, ...args], { encoding: 'utf8' }).trim();

  async function createSession(name: string): Promise<string> {
    request({ type: 'terminal:create', requestId: `create-${name}`, session: name, cols: 80, rows: 24 });
    const created = await waitForSent(
      'terminal:created',
      (message) => message.requestId === `create-${name}`,
    );
    // A shell discards what is typed before its prompt: wait for the prompt.
    await waitFor(() => tmux('capture-pane', '-p', '-t', created.target).length > 0, {
      description: 'a prompt',
    });
    return created.target;
  }

  it('creates, lists, attaches with a screen, streams output, types and detaches', async () => {
    const paneId = await createSession('work');
    request({ type: 'terminal:list', requestId: 'l1' });
    const listed = await waitForSent('terminal:list-result');
    expect(listed.sessions.map((session) => session.name)).toEqual(['work']);
    expect(listed.sessions[0]!.windows[0]!.panes[0]!.id).toBe(paneId);

    request({ type: 'terminal:attach', target: 'work', appId: 'a' });
    const screen = await waitForSent('terminal:screen', (message) => message.appId === 'a');
    expect(screen).toMatchObject({ target: 'work', paneId, cols: 80, rows: 24 });

    request({
      type: 'terminal:input',
      requestId: 'i1',
      target: 'work',
      keys: "echo 'it'\\''s' \"ok\" $((40+2))",
      specialKeys: ['Enter'],
    });
    await waitForSent('terminal:done', (message) => message.requestId === 'i1');
    await waitFor(() => outputOf(paneId).includes("it's ok 42"), { description: 'the echo' });

    request({ type: 'terminal:detach', target: 'work', appId: 'a' });
    await waitForSent('terminal:detached', (message) => message.appId === 'a');
    await waitFor(() => bridge.controlClients === 0, { description: 'the control client to go' });
  });

  it('resizes the window, as tmux itself reports', async () => {
    await createSession('sized');
    request({ type: 'terminal:resize', requestId: 'r1', target: 'sized', cols: 101, rows: 33 });
    await waitForSent('terminal:done', (message) => message.requestId === 'r1');
    expect(tmux('display', '-p', '-t', '=sized:', '#{pane_width} #{pane_height}')).toBe('101 33');
  });

  it('keeps two viewers on one pane and tells both when the pane closes', async () => {
    const paneId = await createSession('shared');
    request({ type: 'terminal:attach', target: 'shared', appId: 'a' });
    request({ type: 'terminal:attach', target: paneId, appId: 'b' });
    await waitForSent('terminal:screen', (message) => message.appId === 'b');
    await waitForSent('terminal:screen', (message) => message.appId === 'a');
    expect(bridge.controlClients).toBe(1);
    request({ type: 'terminal:detach', target: 'shared', appId: 'a' });
    await waitForSent('terminal:detached', (message) => message.appId === 'a');
    expect(bridge.controlClients).toBe(1);
    tmux('kill-session', '-t', '=shared');
    const gone = await waitForSent('terminal:detached', (message) => message.appId === undefined);
    expect(gone.paneId).toBe(paneId);
    expect(gone.reason).toMatch(/closed|tmux/);
    await waitFor(() => bridge.controlClients === 0, { description: 'cleanup' });
  });

  it('answers bad requests with terminal:error and keeps working', async () => {
    request({ type: 'terminal:attach', target: 'nope', appId: 'a' });
    const unknown = await waitForSent('terminal:error', (message) => message.target === 'nope');
    expect(unknown.code).toBe('not_found');
    await createSession('ok');
    request({
      type: 'terminal:input',
      requestId: 'big',
      target: 'ok',
      keys: 'x'.repeat(LIMITS.maxTerminalInputChars + 1),
    });
    expect((await waitForSent('terminal:error', (message) => message.requestId === 'big')).code).toBe(
      'input_too_large',
    );
    request({ type: 'terminal:create', requestId: 'dup', session: 'ok' });
    expect((await waitForSent('terminal:error', (message) => message.requestId === 'dup')).message).toMatch(
      /duplicate/,
    );
    request({ type: 'terminal:create', requestId: 'cwd', session: 'x', cwd: join(dir, 'missing') });
    expect((await waitForSent('terminal:error', (message) => message.requestId === 'cwd')).code).toBe(
      'bad_request',
    );
  });

  it('says tmux is missing when it is not on PATH', async () => {
    const missing = new TerminalBridge({
      runner: new TmuxRunner({ socketPath: join(dir, 'none.sock'), env: { PATH: dir } }),
      send: (message) => sent.push(message),
      defaultCwd: dir,
      logger: pino({ level: 'silent' }),
    });
    missing.handle({ type: 'terminal:list', requestId: 'm' });
    const error = await waitForSent('terminal:error', (message) => message.requestId === 'm');
    expect(error.code).toBe('tmux_missing');
  });

  it('detaches viewers with a reason when the tmux server dies', async () => {
    const paneId = await createSession('doomed');
    request({ type: 'terminal:attach', target: 'doomed', appId: 'a' });
    await waitForSent('terminal:screen');
    tmux('kill-server');
    const gone = await waitForSent(
      'terminal:detached',
      (message) => message.paneId === paneId && message.appId === undefined,
    );
    expect(gone.reason.length).toBeGreaterThan(0);
    request({ type: 'terminal:list', requestId: 'after' });
    expect(
      (await waitForSent('terminal:list-result', (message) => message.requestId === 'after')).sessions,
    ).toEqual([]);
  });

  it('drops output while the link is behind and resyncs every viewer with a screen', async () => {
    const paneId = await createSession('flood');
    request({ type: 'terminal:attach', target: 'flood', appId: 'a' });
    await waitForSent('terminal:screen', (message) => message.appId === 'a');
    backlog = 10_000;
    request({
      type: 'terminal:input',
      target: 'flood',
      keys: 'echo dropped-while-behind',
      specialKeys: ['Enter'],
    });
    await waitFor(() => tmux('capture-pane', '-p', '-t', paneId).split('dropped-while-behind').length === 3, {
      description: `the echo in ${JSON.stringify(tmux('capture-pane', '-p', '-t', paneId))}`,
    });
    // tmux shows the echo before its control client reports it; the link may catch up only once
    // the bridge has seen that output (and dropped it), or nothing would need a resync.
    await waitFor(() => lookedWhileBehind > 0, { description: 'the bridge to see output while behind' });
    expect(outputOf(paneId)).not.toContain('dropped-while-behind');
    backlog = 0;
    const resync = await waitForSent('terminal:screen', (message) => message.appId === undefined);
    expect(resync.data).toContain('dropped-while-behind');
  });
});
