import type { Command } from 'commander';
import { createStartAgentTask } from '../../agent/index.ts';
import { BUNDLED_SKILLS_DIR } from '../../agent/skills/index.ts';
import { loadConfig } from '../../core/config.ts';
import { loadOrCreateDeviceKey, type StoredDeviceKey } from '../../core/device-key.ts';
import { type OpenViberHome, resolveHome } from '../../core/home.ts';
import { startDaemon } from '../../daemon/index.ts';
import { type GatewayRefusedError, gatewayUrls } from '../../daemon/viber-controller.ts';
import { DAEMON_VERSION } from '../../daemon/viber-info.ts';
import { CliError, parseIntegerOption } from '../cli-error.ts';
import {
  deviceKeyPath,
  type ResolvedCredentials,
  resolveCredentials,
  tokenFromFlags,
  writeCredentials,
} from '../daemon-credentials.ts';
import { describeRefusal, HandshakeRefusedError, handshakeOnce } from '../gateway-handshake.ts';
import { onShutdown } from '../shutdown.ts';
import { CA_OPTION_HELP } from '../trust-ca.ts';
import { startDesktop } from './start-desktop.ts';

interface StartFlags {
  server?: string;
  id?: string;
  token?: string;
  tokenFile?: string;
  name?: string;
  heartbeatInterval?: number;
  desktop?: boolean;
  vnc?: boolean;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the viber daemon: dial out to a gateway and run the tasks it sends')
    .option(
      '--server <url>',
      'gateway WebSocket URL, e.g. ws://127.0.0.1:6007/ws, or several gateways of one deployment separated by commas, tried in turn after a lost connection (default: the one viber login saved)',
    )
    .option(
      '--id <viberId>',
      'this viber id (from viber vibers add; default: the one viber login saved, else the gateway says)',
    )
    .option(
      '--token <token>',
      "this viber's token (from viber vibers add); `-` reads it from standard input. A literal value is visible to every local user in the process list",
    )
    .option('--token-file <path>', "read this viber's token from a file (its first line)")
    .option('--name <name>', 'human-readable name shown on the board')
    .option(
      '--heartbeat-interval <ms>',
      'heartbeat interval',
      parseIntegerOption('--heartbeat-interval', 100, 3_600_000),
    )
    .option(
      '--desktop',
      'offer the desktop tools (X11: screenshots, mouse, keyboard, windows; docs/desktop.md); starts Xvfb when DISPLAY is not set',
    )
    .option(
      '--vnc',
      "with --desktop: a live view of the desktop on the board's viber page, through the gateway (a VNC server on a private Unix socket; docs/desktop.md)",
    )
    // Applied before the action runs, by the hook in main.ts (trust-ca.ts).
    .option('--ca <file>', CA_OPTION_HELP)
    .action(async (flags: StartFlags) => {
      if (flags.vnc && !flags.desktop)
        throw new CliError('--vnc shows the desktop: give --desktop with it', 2);
      const home = resolveHome();
      const token = await tokenFromFlags(flags, {
        stdin: process.stdin,
        warn: (line) => process.stderr.write(line),
      });
      const resolved = resolveCredentials(home, { ...flags, token });
      const identity = loadDeviceKey(home);
      const credentials = resolved.viberId
        ? { ...resolved, viberId: resolved.viberId }
        : await learnViberId(home, resolved, identity, flags.name);
      let announcedPairing = false;
      const desktop = flags.desktop ? await startDesktop({ vnc: flags.vnc === true }) : undefined;
      const daemon = await startDaemon({
        home,
        serverUrl: credentials.server,
        viberId: credentials.viberId,
        token: credentials.token,
        identity,
        config: loadConfig(home),
        startAgentTask: createStartAgentTask(desktop?.display ? { desktop: desktop.display } : {}),
        bundledSkillsDir: BUNDLED_SKILLS_DIR,
        ...(desktop ? { capabilities: desktop.capabilities } : {}),
        ...(desktop?.desktopView ? { desktopView: desktop.desktopView } : {}),
        ...(flags.name ? { name: flags.name } : {}),
        ...(flags.heartbeatInterval ? { heartbeatIntervalMs: flags.heartbeatInterval } : {}),
      }).catch(async (error: unknown) => {
        await desktop?.close();
        throw error;
      });
      daemon.controller.on('connected', () => {
        process.stdout.write(`connected to ${daemon.controller.url} as ${credentials.viberId}\n`);
      });
      daemon.controller.on('pairing', (pairing) => {
        if (announcedPairing) return;
        announcedPairing = true;
        process.stdout.write(`waiting for an operator to approve this machine: code ${pairing.code}\n`);
      });
      daemon.controller.on('disconnected', (reason: string) => {
        process.stderr.write(
          `disconnected from the gateway (${reason || 'connection lost'}); reconnecting…\n`,
        );
      });
      daemon.controller.on('fatal', async (reason: string, refusal) => {
        await daemon.close();
        await desktop?.close();
        const hint = refusalHint(home, (refusal as GatewayRefusedError).refusal);
        const error = new CliError(`the gateway refused this viber: ${reason}${hint}`);
        process.stderr.write(`viber: ${error.message}\n`);
        process.exit(error.exitCode);
      });
      // SIGTERM (a service manager, an upgrade) suspends running tasks for the next start to
      // resume; SIGINT (Ctrl-C) stops them.
      onShutdown(async (signal) => {
        await (signal === 'SIGTERM' ? daemon.suspend() : daemon.close());
        await desktop?.close();
      });
    });
}

/** The daemon's device key (`<home>/daemon/device.json`), made on first use. */
function loadDeviceKey(home: OpenViberHome): StoredDeviceKey {
  try {
    return loadOrCreateDeviceKey(deviceKeyPath(home));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/**
 * A token without a viber id (credentials from `viber login` that lost the id, a viber token
 * without --id): one handshake asks the gateway which viber the token belongs to. A token the
 * gateway issues on the way (after a rotation) is saved at once, as the daemon would.
 */
async function learnViberId(
  home: OpenViberHome,
  credentials: ResolvedCredentials,
  identity: StoredDeviceKey,
  name: string | undefined,
): Promise<ResolvedCredentials & { viberId: string }> {
  let ok: Awaited<ReturnType<typeof handshakeOnce>>;
  try {
    ok = await handshakeOnce({
      url: gatewayUrls(credentials.server)[0]!,
      identity,
      ask: {
        role: 'node',
        token: credentials.token,
        ...(name ? { name } : {}),
        client: { name: 'openviber-daemon', version: DAEMON_VERSION },
      },
      onPairing: (pairing) =>
        process.stdout.write(`waiting for an operator to approve this machine: code ${pairing.code}\n`),
    });
  } catch (error) {
    if (error instanceof HandshakeRefusedError) {
      throw new CliError(
        `the gateway refused this viber: ${describeRefusal(error)}${refusalHint(home, error.code)}`,
      );
    }
    throw error;
  }
  if (!ok.viberId)
    throw new CliError(`the gateway accepted this device but it runs no viber (${ok.deviceId})`);
  const token = ok.deviceToken ?? credentials.token;
  if (ok.deviceToken) writeCredentials(home, { server: credentials.server, viberId: ok.viberId, token });
  return { ...credentials, viberId: ok.viberId, token };
}

/** What to do about a refusal no retry cures, when there is something to do. */
function refusalHint(home: OpenViberHome, code: string | undefined): string {
  switch (code) {
    case 'revoked':
      return `. To pair this machine again, move ${deviceKeyPath(home)} away and run viber login --server URL (or use a new viber token from viber vibers add)`;
    case 'unauthorized':
      return '. Pair this machine with viber login --server URL, or use a viber token from viber vibers add';
    default:
      return '';
  }
}
