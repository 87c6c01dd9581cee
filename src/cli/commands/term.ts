import { styleText } from 'node:util';
import type { Command } from 'commander';
import { GatewayClientError, type TerminalConnection } from '../../client/index.ts';
import { resolveHome } from '../../core/home.ts';
import {
  LIMITS,
  type TerminalClientMessage,
  TerminalKeyNameSchema,
  type TerminalSession,
  TerminalSessionNameSchema,
  TerminalTargetSchema,
} from '../../protocol/index.ts';
import { CliError, checkedOption, parseIntegerOption } from '../cli-error.ts';
import {
  addClientOptions,
  type ClientFlags,
  clientFromFlags,
  connectTerminalFromFlags,
} from '../gateway-client.ts';

/** Ctrl-] ends `viber term attach` on a TTY, as in telnet: tmux's own prefix (Ctrl-B) stays usable. */
const DETACH_KEY = '\x1d';

/** The terminal socket of the client (src/client); its refusals reach main.ts as one line. */
function connect(flags: ClientFlags & { readOnly?: boolean }): Promise<TerminalConnection> {
  return connectTerminalFromFlags(flags, resolveHome(), flags.readOnly ? { access: 'read' } : {});
}

/**
 * Runs `work` with a connection to `viberId`'s terminals, closed however `work` ends. The relay
 * refuses a viber it has no connection to as `viber_offline`, registered or not; asked which, the
 * REST API tells a viber that does not exist from one that is offline.
 */
async function withConnection<T>(
  flags: ClientFlags & { readOnly?: boolean },
  viberId: string,
  work: (connection: TerminalConnection) => Promise<T>,
): Promise<T> {
  const connection = await connect(flags);
  try {
    return await work(connection);
  } catch (error) {
    if (
      GatewayClientError.isInstance(error) &&
      error.code === 'viber_offline' &&
      !(await viberExists(flags, viberId))
    )
      throw new CliError(`no such viber: ${viberId} (viber vibers list shows the registered ones)`);
    throw error;
  } finally {
    await connection.close();
  }
}

async function viberExists(flags: ClientFlags, viberId: string): Promise<boolean> {
  try {
    await clientFromFlags(flags, resolveHome()).call('vibers.get', { params: { id: viberId } });
    return true;
  } catch (error) {
    // Only a 404 says it does not exist; any other failure leaves the relay's own words.
    return !(GatewayClientError.isInstance(error) && error.status === 404);
  }
}

function sessionLines(sessions: TerminalSession[]): string {
  if (sessions.length === 0) return 'no tmux sessions on this viber';
  return sessions
    .flatMap((session) => [
      `${styleText('bold', session.name)}${session.attached ? styleText('dim', ' (attached)') : ''}`,
      ...session.windows.flatMap((window) =>
        window.panes.map(
          (pane) =>
            `  ${pane.target.padEnd(16)} ${pane.id.padEnd(5)} ${`${pane.width}x${pane.height}`.padEnd(9)} ${pane.command ?? ''}${pane.active ? styleText('green', ' *') : ''}`,
        ),
      ),
    ])
    .join('\n');
}

export function registerTermCommands(program: Command): void {
  const term = program
    .command('term')
    .description("watch and drive a viber's tmux terminals through the gateway");

  addClientOptions(term.command('list').argument('<viberId>'))
    .description('list the tmux sessions, windows and panes of a viber')
    .action(async (viberId: string, flags: ClientFlags) => {
      const result = await withConnection(flags, viberId, (connection) =>
        connection.request({ type: 'terminal:list', viberId }),
      );
      process.stdout.write(
        `${flags.json ? JSON.stringify(result.sessions, null, 2) : sessionLines(result.sessions)}\n`,
      );
    });

  addClientOptions(term.command('create').argument('<viberId>').argument('<session>'))
    .description('create a tmux session on a viber')
    .option('--cwd <dir>', 'directory the session starts in (default: the viber workspace)')
    .action(async (viberId: string, session: string, flags: ClientFlags & { cwd?: string }) => {
      const name = checkedOption('<session>', TerminalSessionNameSchema, session);
      const created = await withConnection(flags, viberId, (connection) =>
        connection.request({
          type: 'terminal:create',
          viberId,
          session: name,
          ...(flags.cwd ? { cwd: flags.cwd } : {}),
        }),
      );
      process.stdout.write(
        `created ${created.session} (pane ${created.target}); attach with: viber term attach ${viberId} ${created.session}\n`,
      );
    });

  addClientOptions(term.command('send').argument('<viberId>').argument('<target>').argument('[text...]'))
    .description('type text into a pane (add --enter to press Enter; --key sends tmux key names such as C-c)')
    .option('--enter', 'press Enter after the text')
    .option('--key <name...>', 'tmux key names sent after the text (Enter, C-c, Up, F5, ...)')
    .action(
      async (
        viberId: string,
        target: string,
        text: string[],
        flags: ClientFlags & { enter?: boolean; key?: string[] },
      ) => {
        const pane = checkedOption('<target>', TerminalTargetSchema, target);
        const keys = text.join(' ');
        if (keys.length > LIMITS.maxTerminalInputChars)
          throw new CliError(`text is ${keys.length} characters; at most ${LIMITS.maxTerminalInputChars}`, 2);
        const specialKeys = [
          ...(flags.key ?? []).map((key) => checkedOption('--key', TerminalKeyNameSchema, key)),
          ...(flags.enter ? ['Enter'] : []),
        ];
        await withConnection(flags, viberId, (connection) =>
          connection.request({
            type: 'terminal:input',
            viberId,
            target: pane,
            keys,
            ...(specialKeys.length ? { specialKeys } : {}),
          }),
        );
      },
    );

  addClientOptions(
    term.command('resize').argument('<viberId>').argument('<target>').argument('<cols>').argument('<rows>'),
  )
    .description("resize a pane's window")
    .action(async (viberId: string, target: string, cols: string, rows: string, flags: ClientFlags) => {
      const pane = checkedOption('<target>', TerminalTargetSchema, target);
      const size = {
        cols: parseIntegerOption('<cols>', 2, 1000)(cols),
        rows: parseIntegerOption('<rows>', 2, 1000)(rows),
      };
      await withConnection(flags, viberId, (connection) =>
        connection.request({ type: 'terminal:resize', viberId, target: pane, ...size }),
      );
    });

  addClientOptions(term.command('attach').argument('<viberId>').argument('<target>'))
    .description(
      'watch a pane live in this terminal and type into it; Ctrl-] detaches. Without a TTY: prints output, forwards stdin',
    )
    .option('--read-only', 'watch only: keystrokes are not sent')
    .option('--no-resize', "keep the pane's size instead of fitting it to this terminal")
    .option(
      '--timeout <seconds>',
      'detach after this many seconds (for scripts)',
      parseIntegerOption('--timeout', 1, 86_400),
    )
    .option('--until <text>', 'detach as soon as the output contains this text (for scripts)')
    .action(
      async (
        viberId: string,
        target: string,
        flags: ClientFlags & { readOnly?: boolean; resize: boolean; timeout?: number; until?: string },
      ) => {
        const pane = checkedOption('<target>', TerminalTargetSchema, target);
        const reason = await withConnection(flags, viberId, (connection) =>
          attach(connection, viberId, pane, flags),
        );
        if (process.stdin.isTTY) process.stdout.write('\x1b[0m\r\n');
        process.stderr.write(`[detached: ${reason}]\n`);
      },
    );
}

/** The live view: output to stdout, stdin to the pane (raw mode on a TTY). Resolves with why it ended. */
function attach(
  connection: TerminalConnection,
  viberId: string,
  target: string,
  flags: { readOnly?: boolean; resize: boolean; timeout?: number; until?: string },
): Promise<string> {
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const writable = connection.access === 'write' && !flags.readOnly;
  // Keystrokes and resizes arrive on their own schedule: one after the socket closed is dropped
  // (the close itself ends the attach), never thrown from a stdin or resize handler.
  const send = (message: TerminalClientMessage) => {
    if (connection.socket.readyState === WebSocket.OPEN) connection.send(message);
  };
  return new Promise((resolve, reject) => {
    const cleanups: Array<() => void> = [];
    const finish = (reason: string, error?: Error) => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      if (error) reject(error);
      else resolve(reason);
    };
    // Only the tail is kept: enough to find --until across chunk boundaries.
    let seen = '';
    let live = false;
    // What arrives on stdin before the pane is shown waits for it: the pane exists then, and an
    // error about typing can no longer be mistaken for one about attaching.
    const typedEarly: string[] = [];
    const typeKeys = (text: string) => {
      for (let start = 0; writable && start < text.length; start += LIMITS.maxTerminalInputChars) {
        send({
          type: 'terminal:input',
          viberId,
          target,
          keys: text.slice(start, start + LIMITS.maxTerminalInputChars),
        });
      }
    };
    cleanups.push(
      connection.onMessage((message) => {
        if (!('target' in message) || message.target !== target || message.viberId !== viberId) return;
        if (message.type === 'terminal:screen' && !live) {
          live = true;
          for (const keys of typedEarly.splice(0)) typeKeys(keys);
        }
        if (message.type === 'terminal:screen' || message.type === 'terminal:output') {
          process.stdout.write(message.data);
          if (flags.until) {
            seen = (seen + message.data).slice(-(flags.until.length + 64 * 1024));
            if (seen.includes(flags.until)) finish(`saw "${flags.until}"`);
          }
        } else if (message.type === 'terminal:detached') finish(message.reason);
        // Once the pane is shown, an error is about typing or a resize: said on stderr, the view goes on.
        else if (message.type === 'terminal:error' && live)
          process.stderr.write(`[error: ${message.message} (${message.code})]${tty ? '\r\n' : '\n'}`);
        else if (message.type === 'terminal:error')
          finish('', new CliError(`${message.message} (${message.code})`));
      }),
    );
    void connection.closed.then(() => finish('the gateway closed the connection'));
    const sendSize = () => {
      if (writable && flags.resize && tty)
        send({
          type: 'terminal:resize',
          viberId,
          target,
          cols: process.stdout.columns,
          rows: process.stdout.rows,
        });
    };
    sendSize();
    send({ type: 'terminal:attach', viberId, target });
    if (tty) {
      process.stdin.setRawMode(true);
      process.stdout.on('resize', sendSize);
      cleanups.push(() => {
        process.stdin.setRawMode(false);
        process.stdout.off('resize', sendSize);
      });
    }
    const onInput = (chunk: Buffer) => {
      let text = chunk.toString('utf8');
      const detachAt = tty ? text.indexOf(DETACH_KEY) : -1;
      if (detachAt !== -1) text = text.slice(0, detachAt);
      if (live) typeKeys(text);
      else typedEarly.push(text);
      if (detachAt !== -1) finish('detached by you (Ctrl-])');
    };
    process.stdin.on('data', onInput);
    cleanups.push(() => {
      process.stdin.off('data', onInput);
      process.stdin.pause();
    });
    const onSignal = () => finish('interrupted');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    cleanups.push(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
    if (flags.timeout) {
      const timer = setTimeout(() => finish(`--timeout ${flags.timeout} s reached`), flags.timeout * 1000);
      cleanups.push(() => clearTimeout(timer));
    }
  });
}
