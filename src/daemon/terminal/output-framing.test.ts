import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { stopTmuxServer } from '../../../test/support/tmux.ts';
import { waitFor } from '../../../test/support/wait.ts';
import {
  type DaemonMessage,
  DaemonMessageSchema,
  decodePaneOutputFrame,
  MAX_TERMINAL_OUTPUT_BYTES,
} from '../../protocol/index.ts';
import { ControlClient } from './control-client.ts';
import { TerminalBridge, type TerminalRequest } from './terminal-bridge.ts';
import { TmuxRunner } from './tmux-runner.ts';

// How pane output leaves the daemon, with real tmux: a read's output as one binary frame, sent at
// once, bounded, never ending inside a character, in tmux's order with the screens.

/** What the bridge sent, in order: JSON messages, and binary output frames decoded. */
type Sent = DaemonMessage | { type: 'frame'; paneId: string; data: Buffer };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

describe('terminal output framing with real tmux', () => {
  let dir: string;
  let runner: TmuxRunner;
  let bridge: TerminalBridge;
  let sent: Sent[];
  let backlog = 0;
  let lookedWhileBehind = 0;

  beforeEach(() => {
    dir = makeTempDir('tmux');
    runner = new TmuxRunner({
      socketPath: join(dir, 'tmux.sock'),
      env: { ...process.env, SHELL: '/bin/bash', LANG: 'C.UTF-8' },
    });
    sent = [];
    backlog = 0;
    lookedWhileBehind = 0;
    bridge = new TerminalBridge({
      runner,
      send: (message) => sent.push(DaemonMessageSchema.parse(message)),
      binaryOutput: () => true,
      sendBinary: (frame) => {
        const output = decodePaneOutputFrame(frame);
        if (!output) throw new Error('the bridge sent a binary frame that is not pane output');
        sent.push({ type: 'frame', paneId: output.paneId, data: Buffer.from(output.data) });
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

  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', runner.socketPath, ...args], { encoding: 'utf8' }).trim();
  const framesOf = (paneId: string, list: Sent[] = sent) =>
    list.flatMap((item) => (item.type === 'frame' && item.paneId === paneId ? [item.data] : []));
  const outputOf = (paneId: string, list: Sent[] = sent) =>
    Buffer.concat(framesOf(paneId, list)).toString('utf8');
  const find = <T extends Sent['type']>(
    type: T,
    match: (item: Extract<Sent, { type: T }>) => boolean = () => true,
  ) =>
    waitFor(
      () =>
        sent.find((item): item is Extract<Sent, { type: T }> => item.type === type && match(item as never)),
      {
        description: type,
      },
    );

  /** A new session's pane, once its shell shows a prompt. */
  async function newPane(session: string): Promise<string> {
    bridge.handle({ type: 'terminal:create', requestId: session, session, cols: 80, rows: 24 });
    const created = await find('terminal:created', (item) => item.requestId === session);
    await waitFor(() => tmux('capture-pane', '-p', '-t', created.target).length > 0, {
      description: 'a prompt',
    });
    return created.target;
  }

  /** A new session's pane, watched by viewer `a`. */
  async function watchedPane(session: string): Promise<string> {
    const paneId = await newPane(session);
    bridge.handle({ type: 'terminal:attach', target: session, appId: 'a' });
    await find('terminal:screen', (item) => item.appId === 'a');
    return paneId;
  }

  const type = (target: string, keys: string) =>
    bridge.handle({ type: 'terminal:input', target, keys, specialKeys: ['Enter'] } as TerminalRequest);

  /** The pane's output between the shell-computed markers `begin-2` and `end-2`. */
  async function between(paneId: string, timeoutMs = 60_000): Promise<string> {
    const text = await waitFor(
      () => {
        const all = outputOf(paneId);
        const start = all.indexOf('begin-2\r\n');
        return start !== -1 && all.indexOf('end-2', start) !== -1 && all;
      },
      { timeoutMs, description: 'the output between the markers' },
    );
    const start = text.indexOf('begin-2\r\n') + 'begin-2\r\n'.length;
    return text.slice(start, text.indexOf('end-2', start));
  }

  it('delivers escape sequences, control bytes, backslashes and UTF-8 byte for byte', async () => {
    const paneId = await watchedPane('bytes');
    // printf's own escapes, so the typed command (echoed first) never contains the output itself.
    type(
      paneId,
      "echo begin-$((1+1)); printf '\\033[31mred\\033[0m \\\\ a\\\\b \\001\\002\\t\\303\\251\\342\\202\\254\\360\\237\\230\\200 \\033]0;title\\007\\n'; echo end-$((1+1))",
    );
    expect(await between(paneId)).toBe('\x1b[31mred\x1b[0m \\ a\\b \x01\x02\té€😀 \x1b]0;title\x07\r\n');
  });

  it('sends what one read carried at once, and joins a character split across reads', async () => {
    const session = 'split';
    const paneId = await newPane(session);
    // The control client alone: tmux itself hands over the first byte of the € on its own.
    const client = new ControlClient(runner, session);
    const raw: Buffer[] = [];
    client.on('output', (id, data) => {
      if (id === paneId) raw.push(data);
    });
    bridge.handle({ type: 'terminal:attach', target: session, appId: 'a' });
    await find('terminal:screen', (item) => item.appId === 'a');
    tmux(
      'send-keys',
      '-t',
      paneId,
      '-l',
      "printf '\\163plit:\\342'; sleep 0.5; printf '\\202\\254:\\144one\\n'",
    );
    tmux('send-keys', '-t', paneId, 'Enter');
    await waitFor(() => outputOf(paneId).includes(':done'), { description: 'the second half' });
    client.close();
    // tmux's stream had the € cut in two, in separate reads...
    expect(raw.some((data) => data.at(-1) === 0xe2 && data.toString('latin1').endsWith('split:\xe2'))).toBe(
      true,
    );
    // ...the bridge sent what came before it at once, and the whole character after.
    const frames = framesOf(paneId).map((data) => strictUtf8.decode(data));
    expect(frames.some((text) => text.endsWith('split:'))).toBe(true);
    expect(frames.some((text) => text.startsWith('€:done'))).toBe(true);
    expect(outputOf(paneId)).toContain('split:€:done\r\n');
  });

  it('carries large output exactly, in bounded frames that each hold many lines', async () => {
    const paneId = await watchedPane('large');
    const line = (index: number) =>
      `${index} é€😀 \x1b[1mbold\x1b[0m back\\slash ${'-'.repeat(index % 50)}\n`;
    const lines = Array.from({ length: 40_000 }, (_, index) => line(index));
    const file = join(dir, 'large.txt');
    writeFileSync(file, lines.join(''));
    type(paneId, `echo begin-$((1+1)); cat ${file}; echo end-$((1+1))`);
    expect(await between(paneId)).toBe(lines.join('').replaceAll('\n', '\r\n'));
    const frames = framesOf(paneId);
    for (const data of frames) {
      expect(data.length).toBeLessThanOrEqual(MAX_TERMINAL_OUTPUT_BYTES);
      expect(() => strictUtf8.decode(data)).not.toThrow();
    }
    // Coalesced: a frame per read of tmux's stream, not per line or per %output.
    expect(frames.length).toBeLessThan(lines.length / 10);
  });

  it("puts a new viewer's screen exactly where it falls in the output", async () => {
    const paneId = await watchedPane('order');
    const last = 1_000_000;
    // About 7 MB: a good half second through tmux's control mode, so the screen comes mid-way.
    type(paneId, `seq 1 ${last}`);
    await waitFor(() => outputOf(paneId).includes('\r\n20000\r\n'), { description: 'seq under way' });
    bridge.handle({ type: 'terminal:attach', target: paneId, appId: 'b' });
    const screen = await find('terminal:screen', (item) => item.appId === 'b');
    const before = outputOf(paneId, sent.slice(0, sent.indexOf(screen)));
    // The screen's lines, and its cursor's row, from the repaint string (pane-screen.ts).
    const body = screen.data.slice(screen.data.indexOf('\x1b[2J') + 4);
    // It ends with a reset, the cursor's position (`ESC[row;colH`) and its visibility.
    const cursorAt = body.lastIndexOf('\x1b[0m\x1b[');
    const row = body.slice(cursorAt + 6).split(';')[0];
    const rows = body.slice(0, cursorAt).split('\x1b[0m\r\n');
    const cursorLine = rows[Number(row) - 1] ?? '';
    const above = rows.slice(0, Number(row) - 1).filter((text) => /^\d+$/.test(text));
    // Everything the screen shows was sent before it, and nothing the screen does not show yet.
    const end = before.lastIndexOf('\r\n');
    const lastComplete = before.slice(before.lastIndexOf('\r\n', end - 1) + 2, end);
    const partial = before.slice(end + 2);
    expect(above.length).toBeGreaterThan(0);
    expect(lastComplete).toBe(above.at(-1));
    expect(partial).toBe(cursorLine.trimEnd());
    expect(Number(lastComplete)).toBeLessThan(last);
    // And every number arrives once, in order, around the screen.
    await waitFor(
      () =>
        framesOf(paneId)
          .slice(-3)
          .some((data) => data.includes(`\n${last}\r\n`)),
      {
        timeoutMs: 120_000,
        description: 'the last number',
      },
    );
    const all = outputOf(paneId);
    let expected = 1;
    // The first number follows the echo of the command (and bash's escapes after it).
    let at = all.indexOf('1\r\n2\r\n3\r\n');
    while (expected <= last) {
      const next = all.indexOf('\r\n', at);
      expect(all.slice(at, next)).toBe(String(expected));
      expected += 1;
      at = next + 2;
    }
  });

  it('drops output while the link is behind and resyncs from a screen, then streams again', async () => {
    const paneId = await watchedPane('behind');
    backlog = 10_000;
    type(paneId, 'echo dropped-$((1+1))');
    await waitFor(() => lookedWhileBehind > 0, { description: 'the bridge to see output while behind' });
    await waitFor(() => tmux('capture-pane', '-p', '-t', paneId).includes('dropped-2'), {
      description: 'the echo',
    });
    backlog = 0;
    const resync = await find('terminal:screen', (item) => item.appId === undefined);
    expect(resync.data).toContain('dropped-2');
    const index = sent.indexOf(resync);
    type(paneId, 'echo after-$((1+1))');
    await waitFor(() => outputOf(paneId, sent.slice(index)).includes('after-2\r\n'), {
      description: 'live again',
    });
  });
});
