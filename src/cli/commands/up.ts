import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { createGatewayClient, type GatewayClient, GatewayClientError } from '../../client/index.ts';
import { loadConfig, resolveModelSettings } from '../../core/config.ts';
import { resolveHome } from '../../core/home.ts';
import { defaultSocketPath } from '../../daemon/terminal/start-terminals.ts';
import type { RunningGateway } from '../../gateway/index.ts';
import { CliError } from '../cli-error.ts';
import { readCredentials, writeCredentials } from '../daemon-credentials.ts';
import { DaemonProcess } from '../daemon-process.ts';
import { onShutdown } from '../shutdown.ts';
import { addGatewayOptions, type GatewayFlags, runGateway } from './gateway.ts';
import { loginLink } from './login-link.ts';

interface UpFlags extends GatewayFlags {
  verbose?: boolean;
  jsonLogs?: boolean;
  desktop?: boolean;
  vnc?: boolean;
}

/**
 * `viber up` (what `npm start` runs): the gateway and one local daemon in one process tree, on the
 * embedded store, reusing the local viber's identity across restarts. The terminal shows a banner
 * and progress; the log lines go to files under the home (warnings and errors still show here).
 */
export function registerUpCommand(program: Command): void {
  addGatewayOptions(
    program
      .command('up')
      .description('run the gateway and a local daemon together (the quickest way to start)'),
  )
    .option('--verbose', 'show every log line here instead of in <home>/logs (pretty on a terminal)')
    .option('--json-logs', 'show every log line here as JSON (for a log collector)')
    .option('--desktop', 'the local viber offers the desktop tools (viber start --desktop; docs/desktop.md)')
    .option(
      '--vnc',
      "with --desktop: a live view of the desktop on the board's viber page (viber start --vnc)",
    )
    .action(async (flags: UpFlags) => {
      if (flags.vnc && !flags.desktop)
        throw new CliError('--vnc shows the desktop: give --desktop with it', 2);
      const home = resolveHome();
      loadConfig(home); // fail fast, before anything starts, on a broken config file
      const logs = routeLogs(home, flags);
      progress(`starting OpenViber in ${home.root}`);
      const gateway = await runGateway(flags);
      progress(`gateway ready at ${gateway.url}; starting the local viber`);
      // The typed client, answered by the app in this process: no socket, no port to wait for.
      const client = createGatewayClient({
        baseUrl: gateway.url,
        token: gateway.operatorToken,
        fetch: async (url, init) => gateway.app.request(url, init),
      });
      const viberId = await ensureLocalViber(gateway, client, home);
      const boardLink = await mintBoardLink(gateway, client);
      let announced = false;
      const daemon = new DaemonProcess(
        [...(flags.desktop ? ['--desktop'] : []), ...(flags.vnc ? ['--vnc'] : [])],
        () => {
          if (announced) return;
          announced = true;
          printBanner(gateway, viberId, boardLink, logs.folder);
        },
        logs.daemonEnv,
      );
      daemon.start();
      onShutdown(async () => {
        await daemon.stop();
        await gateway.close();
        process.stdout.write(
          exitLine(defaultSocketPath(home, viberId), await tmuxSessions(defaultSocketPath(home, viberId))),
        );
      });
    });
}

/**
 * Where the gateway (this process) and the daemon write their log lines: by default a file each
 * under `<home>/logs`, warnings and errors also on stderr as one readable line (src/core/logger.ts);
 * `--verbose` on the terminal, `--json-logs` on the terminal as JSON.
 */
function routeLogs(
  home: ReturnType<typeof resolveHome>,
  flags: UpFlags,
): { folder: string | undefined; daemonEnv: Record<string, string | undefined> | undefined } {
  if (flags.jsonLogs) {
    delete process.env.OPENVIBER_LOG_FILE;
    process.env.OPENVIBER_LOG_FORMAT = 'json';
    return { folder: undefined, daemonEnv: { OPENVIBER_LOG_FILE: undefined, OPENVIBER_LOG_FORMAT: 'json' } };
  }
  if (flags.verbose) {
    delete process.env.OPENVIBER_LOG_FILE;
    return { folder: undefined, daemonEnv: undefined };
  }
  const folder = join(home.root, 'logs');
  process.env.OPENVIBER_LOG_FILE = join(folder, 'gateway.log');
  return { folder, daemonEnv: { OPENVIBER_LOG_FILE: join(folder, 'daemon.log') } };
}

function progress(text: string): void {
  process.stdout.write(`${styleText('dim', `… ${text}`)}\n`);
}

/** The sessions on the daemon's tmux server once it stopped: its task sessions are gone by then. */
function tmuxSessions(socketPath: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      'tmux',
      ['-S', socketPath, 'list-sessions', '-F', '#{session_name}'],
      { timeout: 5000 },
      (error, stdout) => resolve(error ? [] : stdout.split('\n').filter(Boolean)),
    );
  });
}

/** The last line: stopped, and which tmux sessions live on, why, and how to reach or end them. */
export function exitLine(socketPath: string, kept: string[]): string {
  if (kept.length === 0) return 'OpenViber stopped; no tmux sessions left behind.\n';
  return (
    `OpenViber stopped. Kept ${kept.length} tmux session(s): ${kept.join(', ')}. ` +
    'Someone opened them (the board or viber term create), so they may hold work in progress. ' +
    `See one with: tmux -S ${socketPath} attach -t ${kept[0]}; end them all with: tmux -S ${socketPath} kill-server\n`
  );
}

async function ensureLocalViber(
  gateway: RunningGateway,
  client: GatewayClient,
  home: ReturnType<typeof resolveHome>,
): Promise<string> {
  const stored = readCredentials(home);
  if (stored.viberId && stored.token && (await isRegistered(client, stored.viberId))) {
    writeCredentials(home, { server: gateway.wsUrl, viberId: stored.viberId, token: stored.token });
    return stored.viberId;
  }
  const viber = await gateway.registerViber(hostname());
  writeCredentials(home, { server: gateway.wsUrl, viberId: viber.id, token: viber.token });
  return viber.id;
}

/** Whether the gateway still knows the stored viber; any refusal (revoked, a fresh store) is a no. */
async function isRegistered(client: GatewayClient, viberId: string): Promise<boolean> {
  try {
    await client.call('vibers.get', { params: { id: viberId } });
    return true;
  } catch (error) {
    if (GatewayClientError.isInstance(error)) return false;
    throw error;
  }
}

/** A one-time sign-in link for the Viber Board, or why there is none. */
async function mintBoardLink(gateway: RunningGateway, client: GatewayClient): Promise<string> {
  try {
    return loginLink(gateway.url, await client.call('loginCodes.create'));
  } catch (error) {
    if (!GatewayClientError.isInstance(error)) throw error;
    return styleText('yellow', `no sign-in link (${error.code}, HTTP ${error.status}); run viber login-link`);
  }
}

function printBanner(
  gateway: RunningGateway,
  viberId: string,
  boardLink: string,
  logFolder: string | undefined,
): void {
  const model = resolveModelSettings(loadConfig(resolveHome()), process.env);
  const lines = [
    '',
    styleText('bold', '  OpenViber is up'),
    `  board          ${styleText('cyan', boardLink)}`,
    `                 ${styleText('dim', 'one-time sign-in link; `viber login-link` prints a new one')}`,
    `  gateway        ${styleText('cyan', gateway.url)}`,
    `  operator token ${gateway.operatorToken}`,
    `  local viber    ${viberId}`,
    `  model          ${model.ok ? `${model.settings.provider}/${model.settings.modelId}` : styleText('yellow', "none here yet: run `npm run viber -- onboard`, or pick one on the board's Settings page")}`,
    ...(logFolder
      ? [
          `  logs           ${logFolder} ${styleText('dim', '(gateway.log, daemon.log; --verbose shows them here)')}`,
        ]
      : []),
    `  stop           ${styleText('dim', 'Ctrl-C')}`,
    '',
    `  try: ${styleText('dim', `OPENVIBER_GATEWAY_URL=${gateway.url} npm run viber -- task create "list the files here" --follow`)}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
