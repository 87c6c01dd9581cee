import { stat } from 'node:fs/promises';
import type { Logger } from '../../core/logger.ts';
import {
  type DaemonMessage,
  encodePaneOutputFrame,
  type GatewayMessage,
  LIMITS,
} from '../../protocol/index.ts';
import { commandLine, deliverKeys } from './input-commands.ts';
import { buildScreen, SCREEN_FORMAT } from './pane-screen.ts';
import type { PaneWatch } from './session-watch.ts';
import { SessionWatch } from './session-watch.ts';
import { TerminalError } from './terminal-error.ts';
import { listSessions } from './tmux-listing.ts';
import { type TmuxRunner, tmuxTarget } from './tmux-runner.ts';

export type TerminalRequest = Extract<GatewayMessage, { type: `terminal:${string}` }>;
type Request<K extends TerminalRequest['type']> = Extract<TerminalRequest, { type: K }>;

export interface TerminalBridgeOptions {
  runner: TmuxRunner;
  send(message: DaemonMessage): void;
  /**
   * Whether the gateway link negotiated `terminal-binary`: pane output then goes as binary frames
   * (encodePaneOutputFrame) through `sendBinary`, else as `terminal:output` messages.
   */
  binaryOutput?(): boolean;
  sendBinary?(frame: Uint8Array): void;
  /** Bytes waiting on the gateway link; above highWaterBytes pane output is dropped, then resynced. */
  backlogBytes?(): number;
  highWaterBytes?: number;
  /** Where new sessions start when the request names no directory. */
  defaultCwd: string;
  logger: Logger;
}

const DEFAULT_APP = 'default';
const RESYNC_POLL_MS = 50;

/**
 * The daemon's tmux bridge (protocol document, section 6): lists, creates, attaches, types and
 * resizes, on the daemon's own tmux server. Output of a watched pane goes to the gateway once, for
 * every viewer; each viewer (appId) gets its own screen on attach. Every failure is answered with a
 * `terminal:error`; nothing here throws into the daemon.
 */
export class TerminalBridge {
  readonly #options: TerminalBridgeOptions;
  readonly #sessions = new Map<string, SessionWatch>();
  readonly #panes = new Map<string, PaneWatch>();
  readonly #highWater: number;
  /**
   * Inputs in arrival order: one message's send-keys commands all reach tmux before the next
   * message's (a paste followed by Enter would otherwise interleave, Enter landing mid-paste).
   */
  #inputs: Promise<void> = Promise.resolve();

  constructor(options: TerminalBridgeOptions) {
    this.#options = options;
    this.#highWater = options.highWaterBytes ?? 4 * 1024 * 1024;
  }

  get runner(): TmuxRunner {
    return this.#options.runner;
  }

  handle(message: TerminalRequest): void {
    this.#dispatch(message).catch((error: unknown) => this.#fail(message, error));
  }

  /**
   * Forgets every viewer and detaches every control client (the gateway connection dropped, so
   * the gateway has forgotten its viewers too); the tmux server and its sessions keep running.
   */
  detachAll(): void {
    for (const watch of this.#sessions.values()) {
      watch.client.removeAllListeners('exit');
      watch.client.close();
    }
    this.#sessions.clear();
    this.#panes.clear();
  }

  async #dispatch(message: TerminalRequest): Promise<void> {
    switch (message.type) {
      case 'terminal:list':
        return this.#send({
          type: 'terminal:list-result',
          ...requestOf(message),
          sessions: await listSessions(this.runner),
        });
      case 'terminal:create':
        return this.#create(message);
      case 'terminal:attach':
        return this.#attach(message.target, message.appId ?? DEFAULT_APP);
      case 'terminal:detach':
        return this.#detach(message.target, message.appId ?? DEFAULT_APP);
      case 'terminal:input': {
        const turn = this.#inputs.then(() => this.#input(message));
        this.#inputs = turn.catch(() => undefined);
        return turn;
      }
      case 'terminal:resize':
        await this.#tmux(message.target, [
          'resize-window',
          '-t',
          tmuxTarget(message.target),
          '-x',
          `${message.cols}`,
          '-y',
          `${message.rows}`,
        ]);
        if (message.requestId) this.#send({ type: 'terminal:done', requestId: message.requestId });
        return;
    }
  }

  async #create(message: Request<'terminal:create'>): Promise<void> {
    const cwd = message.cwd ?? this.#options.defaultCwd;
    const info = await stat(cwd).catch(() => undefined);
    if (!info?.isDirectory())
      throw new TerminalError('bad_request', `cwd ${cwd} is not a directory on this viber`);
    const size = ['-x', `${message.cols ?? 120}`, '-y', `${message.rows ?? 40}`];
    const paneId = await this.runner.run(
      ['new-session', '-d', '-s', message.session, '-c', cwd, ...size, '-P', '-F', '#{pane_id}'],
      `create session ${message.session}`,
    );
    this.#send({
      type: 'terminal:created',
      ...requestOf(message),
      session: message.session,
      target: paneId.trim(),
    });
  }

  async #attach(target: string, appId: string): Promise<void> {
    const { paneId, session } = await this.#resolve(target);
    let watch = this.#sessions.get(session);
    if (!watch || watch.client.ended) {
      watch = new SessionWatch(this.runner, session, {
        output: (pane, data) => this.#onOutput(pane, data),
        layout: (changed) => this.#checkPanes(changed),
        exit: (ended, reason) => this.#onSessionExit(ended, reason),
      });
      this.#sessions.set(session, watch);
    }
    const pane = watch.watch(paneId);
    this.#panes.set(paneId, pane);
    pane.viewers.set(appId, target);
    this.#sendScreen(pane, appId);
  }

  async #detach(target: string, appId: string): Promise<void> {
    const pane =
      this.#panes.get(target) ??
      [...this.#panes.values()].find((candidate) => candidate.viewers.get(appId) === target);
    if (!pane?.viewers.has(appId))
      throw new TerminalError('not_found', `${appId} is not attached to ${target}`);
    pane.viewers.delete(appId);
    this.#send({ type: 'terminal:detached', target, paneId: pane.paneId, appId, reason: 'detached' });
    if (pane.viewers.size === 0) this.#unwatch(pane);
  }

  async #input(message: Request<'terminal:input'>): Promise<void> {
    if (message.keys.length > LIMITS.maxTerminalInputChars) {
      throw new TerminalError(
        'input_too_large',
        `input is ${message.keys.length} characters; at most ${LIMITS.maxTerminalInputChars} per message`,
      );
    }
    const run = (args: string[]) => this.#tmux(message.target, args);
    await deliverKeys(run, tmuxTarget(message.target), message.keys, message.specialKeys);
    if (message.requestId) this.#send({ type: 'terminal:done', requestId: message.requestId });
  }

  /** A command through the session's control client when one is open (fast, ordered), else one-shot. */
  #tmux(target: string, args: string[]): Promise<unknown> {
    const session = this.#panes.get(target)?.session ?? this.#sessions.get(target.split(':')[0]!);
    if (session && !session.client.ended) return session.client.run(commandLine(args));
    return this.runner.run(args, `${args[0]} ${target}`);
  }

  async #resolve(target: string): Promise<{ paneId: string; session: string }> {
    const text = await this.runner.run(
      ['display-message', '-p', '-t', tmuxTarget(target), '#{pane_id}\t#{session_name}'],
      `find ${target}`,
    );
    const [paneId, session] = text.trim().split('\t');
    if (!paneId?.startsWith('%') || !session)
      throw new TerminalError('not_found', `no pane ${target} on this viber`);
    return { paneId, session };
  }

  /**
   * Captures through the control client that carries the pane's output: the client sends the
   * output it parsed before the answer first, so the screen follows everything sent before it.
   */
  #sendScreen(pane: PaneWatch, appId: string | undefined): void {
    const { client } = pane.session;
    let info = '';
    client.command(
      commandLine(['display-message', '-p', '-t', pane.paneId, SCREEN_FORMAT]),
      (_error, lines) => {
        info = lines[0] ?? '';
      },
    );
    client.command(commandLine(['capture-pane', '-p', '-e', '-t', pane.paneId]), (error, lines) => {
      const target = appId === undefined ? pane.paneId : pane.viewers.get(appId);
      if (target === undefined) return;
      if (error || !info) {
        const failure = error ?? new TerminalError('not_found', `pane ${pane.paneId} is gone`);
        this.#send({
          type: 'terminal:error',
          target,
          ...(appId ? { appId } : {}),
          code: failure.code,
          message: failure.message,
        });
        return;
      }
      this.#send({
        type: 'terminal:screen',
        target,
        paneId: pane.paneId,
        ...(appId ? { appId } : {}),
        ...buildScreen(lines, info),
      });
    });
  }

  #onOutput(pane: PaneWatch, data: Buffer): void {
    if (pane.resyncing) return;
    if ((this.#options.backlogBytes?.() ?? 0) > this.#highWater) {
      // The gateway link is behind: drop this pane's output and repaint its viewers once it drains.
      pane.resyncing = true;
      this.#options.logger.warn(
        { paneId: pane.paneId },
        'gateway link behind; terminal output dropped until it drains',
      );
      const poll = setInterval(() => {
        if (!this.#panes.has(pane.paneId) || (this.#options.backlogBytes?.() ?? 0) > this.#highWater / 2)
          return;
        clearInterval(poll);
        pane.resyncing = false;
        this.#sendScreen(pane, undefined);
      }, RESYNC_POLL_MS);
      poll.unref();
      return;
    }
    const { sendBinary } = this.#options;
    if (sendBinary && this.#options.binaryOutput?.()) {
      sendBinary(encodePaneOutputFrame(pane.paneId, data));
      return;
    }
    this.#send({
      type: 'terminal:output',
      target: pane.paneId,
      paneId: pane.paneId,
      data: data.toString('utf8'),
    });
  }

  #checkPanes(watch: SessionWatch): void {
    watch.client.command(
      commandLine(['list-panes', '-s', '-t', `=${watch.name}`, '-F', '#{pane_id}']),
      (error, lines) => {
        if (error) return;
        const alive = new Set(lines.map((line) => line.trim()));
        for (const pane of [...watch.panes.values()]) {
          if (!alive.has(pane.paneId)) this.#paneGone(pane, `pane ${pane.paneId} closed`);
        }
      },
    );
  }

  #onSessionExit(watch: SessionWatch, reason: string): void {
    if (this.#sessions.get(watch.name) === watch) this.#sessions.delete(watch.name);
    const why = reason === 'session closed' ? `session ${watch.name} closed` : `tmux: ${reason}`;
    for (const pane of [...watch.panes.values()]) this.#paneGone(pane, why);
  }

  #paneGone(pane: PaneWatch, reason: string): void {
    this.#send({ type: 'terminal:detached', target: pane.paneId, paneId: pane.paneId, reason });
    this.#unwatch(pane);
  }

  /** The last viewer left: forget the pane, and the session's control client when it was its last. */
  #unwatch(pane: PaneWatch): void {
    const watch = pane.session;
    watch.unwatch(pane);
    if (this.#panes.get(pane.paneId) === pane) this.#panes.delete(pane.paneId);
    if (watch.panes.size === 0) {
      if (this.#sessions.get(watch.name) === watch) this.#sessions.delete(watch.name);
      watch.client.removeAllListeners('exit');
      watch.client.close();
    }
  }

  #fail(message: TerminalRequest, error: unknown): void {
    const known = TerminalError.isInstance(error);
    if (!known) this.#options.logger.error({ err: error, type: message.type }, 'terminal request failed');
    this.#send({
      type: 'terminal:error',
      ...('target' in message ? { target: message.target } : {}),
      ...requestOf(message),
      ...('appId' in message && message.appId !== undefined ? { appId: message.appId } : {}),
      code: known ? error.code : 'internal',
      message: known ? error.message : `${message.type} failed on the viber`,
    });
  }

  #send(message: DaemonMessage): void {
    this.#options.send(message);
  }

  /** Count of control clients (one per session with a watched pane); tests check the cleanup. */
  get controlClients(): number {
    return this.#sessions.size;
  }
}

function requestOf(message: TerminalRequest): { requestId?: string } {
  return 'requestId' in message && message.requestId !== undefined ? { requestId: message.requestId } : {};
}
