import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TerminalServerMessage, ViberView } from '../../src/protocol/index.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { threeGateways } from '../support/scale-out-stack.ts';
import { TerminalViewer } from '../support/terminal-viewer.ts';
import { stopTmuxServer } from '../support/tmux.ts';
import { spawnDaemon } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 17, item 3, the terminal part: a terminal on a viber behind gateway A, viewed and driven
// through gateway C (three gateway processes on one real PostgreSQL and one real Redis, a daemon
// with real tmux). When A dies, C's viewer is told, and attaches again once the viber is on B.

useE2eCleanup();

const HEARTBEAT_MS = 1_000;
const WENT_AWAY = 'the gateway holding this viber went away';

function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' }).trim();
}

/** Control-mode clients attached to the daemon's tmux server (one per watched session). */
function controlClients(socket: string): number {
  return tmux(socket, 'list-clients', '-F', '#{client_control_mode}')
    .split('\n')
    .filter((line) => line === '1').length;
}

const isScreen = (target: string) => (message: TerminalServerMessage) =>
  message.type === 'terminal:screen' && message.target === target;

describe('terminals across gateways', { timeout: 240_000 }, () => {
  it('a terminal on a viber behind A is listed, created, viewed and driven through C', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'unused' }) });
    const [a, b, c] = await threeGateways(HEARTBEAT_MS);
    const viber = await a!.rest.registerViber('terminal-viber');
    const daemon = await spawnDaemon({
      // A first; B when A is gone.
      serverUrl: `${a!.wsUrl},${b!.wsUrl}`,
      viberId: viber.id,
      token: viber.token,
      modelBaseURL: model.baseURL,
      name: 'terminal-viber',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    expect(daemon.process.stdout).toContain(`connected to ${a!.wsUrl}`);
    const socket = join(daemon.home, 'daemon', 'tmux.sock');
    onCleanup(() => stopTmuxServer(socket));
    await waitFor(async () => ((await c!.rest.getViber(viber.id)) as ViberView).presence !== 'offline', {
      description: 'the viber online on C',
    });

    // List, create, list again: through C, answered by the daemon on A.
    const writer = await TerminalViewer.connect(c!.url, c!.operatorToken);
    onCleanup(() => writer.close());
    const before = await writer.request({ type: 'terminal:list', viberId: viber.id });
    expect(before.viberId).toBe(viber.id);
    expect(before.sessions.map((session) => session.name)).not.toContain('crossed');
    const created = await writer.request({
      type: 'terminal:create',
      viberId: viber.id,
      session: 'crossed',
      cols: 80,
      rows: 24,
    });
    await waitFor(() => tmux(socket, 'capture-pane', '-p', '-t', created.target).length > 0, {
      description: 'a prompt in the new session',
    });
    const listed = await writer.request({ type: 'terminal:list', viberId: viber.id });
    expect(listed.sessions.map((session) => session.name)).toContain('crossed');

    // Attach and type through C: the output comes back through C (binary frames).
    writer.send({ type: 'terminal:attach', viberId: viber.id, target: 'crossed' });
    expect(await writer.waitFor(isScreen('crossed'))).toMatchObject({
      viberId: viber.id,
      cols: 80,
      rows: 24,
    });
    await writer.request({
      type: 'terminal:input',
      viberId: viber.id,
      target: 'crossed',
      keys: 'echo crossed-$((6*7))\r',
    });
    await waitFor(() => writer.output('crossed').includes('crossed-42'), {
      description: 'crossed-42 at the viewer on C',
    });

    // A read-only viewer on C (JSON output) gets the screen and the output; its input is refused.
    const reader = await TerminalViewer.connect(c!.url, c!.operatorToken, 'read', 'json');
    onCleanup(() => reader.close());
    expect(reader.access).toBe('read');
    reader.send({ type: 'terminal:attach', viberId: viber.id, target: 'crossed' });
    const screen = await reader.waitFor<Extract<TerminalServerMessage, { type: 'terminal:screen' }>>(
      isScreen('crossed'),
    );
    expect(screen.data).toContain('crossed-42');
    await expect(
      reader.request({ type: 'terminal:input', viberId: viber.id, target: 'crossed', keys: 'echo nope\r' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    writer.send({
      type: 'terminal:input',
      viberId: viber.id,
      target: 'crossed',
      keys: 'echo again-$((2+3))\r',
    });
    await waitFor(() => reader.output('crossed').includes('again-5'), {
      description: 'the writer’s output at the read-only viewer',
    });
    expect(reader.output('crossed')).not.toContain('nope');
    expect(controlClients(socket)).toBe(1);

    // Closing the viewers on C detaches them on A: the daemon's control client goes away.
    await writer.close();
    await reader.close();
    await waitFor(() => controlClients(socket) === 0, { description: 'no control client left on tmux' });
    const logOfA = () => a!.process.stdout + a!.process.stderr;
    await waitFor(() => (logOfA().match(/terminal viewer of another gateway gone/g) ?? []).length >= 2, {
      description: 'both remote viewers gone in the log of A',
    });

    // A dies: the viewer on C is told, and attaches again once the viber is on B.
    const watcher = await TerminalViewer.connect(c!.url, c!.operatorToken);
    onCleanup(() => watcher.close());
    watcher.send({ type: 'terminal:attach', viberId: viber.id, target: 'crossed' });
    await watcher.waitFor(isScreen('crossed'));
    await a!.process.kill('SIGKILL');
    const error = await watcher.waitFor(
      (message) => message.type === 'terminal:error' && message.target === 'crossed',
      30_000,
    );
    expect(error).toMatchObject({ viberId: viber.id, code: 'viber_offline', message: WENT_AWAY });
    await watcher.waitFor((message) => message.type === 'terminal:detached' && message.reason === WENT_AWAY);
    await daemon.waitForConnection(2, 45_000);
    expect(daemon.process.stdout).toContain(`connected to ${b!.wsUrl}`);
    // C learns where the viber is within a heartbeat; until then an attach says it is offline.
    await waitFor(
      async () => {
        const seen = watcher.received.length;
        watcher.send({ type: 'terminal:attach', viberId: viber.id, target: 'crossed' });
        const answer = await waitFor(
          () =>
            watcher.received
              .slice(seen)
              .find(
                (message) =>
                  (message.type === 'terminal:screen' || message.type === 'terminal:error') &&
                  message.target === 'crossed',
              ),
          { description: 'an answer to the attach' },
        );
        return answer.type === 'terminal:screen';
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'a screen through B' },
    );
    watcher.send({
      type: 'terminal:input',
      viberId: viber.id,
      target: 'crossed',
      keys: 'echo moved-$((7*7))\r',
    });
    await waitFor(() => watcher.output('crossed').includes('moved-49'), {
      description: 'moved-49 through B and C',
    });
  });
});
