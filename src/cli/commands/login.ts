import { hostname } from 'node:os';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import type { DeviceIdentity } from '../../client/index.ts';
import { loadOrCreateDeviceKey } from '../../core/device-key.ts';
import { type OpenViberHome, resolveHome } from '../../core/home.ts';
import { DAEMON_VERSION } from '../../daemon/viber-info.ts';
import type { ConnectOk, ConnectPairing, DeviceRole } from '../../protocol/index.ts';
import {
  cliCredentialsPath,
  cliDeviceKeyPath,
  readCliCredentials,
  writeCliCredentials,
} from '../cli-credentials.ts';
import { CliError } from '../cli-error.ts';
import { credentialsPath, deviceKeyPath, readCredentials, writeCredentials } from '../daemon-credentials.ts';
import { DEFAULT_GATEWAY_URL } from '../gateway-client.ts';
import {
  describeRefusal,
  type GatewayUrls,
  gatewayUrls,
  HandshakeRefusedError,
  handshakeOnce,
} from '../gateway-handshake.ts';
import { Spinner } from '../spinner.ts';
import { addCaOption } from '../trust-ca.ts';

interface LoginFlags {
  server?: string;
  code?: string;
  name?: string;
  operator?: boolean;
}

/** What logging in as one role needs: where its key and credentials live, which socket it uses. */
interface LoginTarget {
  role: DeviceRole;
  keyPath: string;
  credentialsPath: string;
  socket: string;
  /** The token saved by an earlier login to this gateway, if any: an already paired device says so. */
  storedToken: string | undefined;
  save(ok: ConnectOk, token: string): void;
  done(ok: ConnectOk, fresh: boolean): string;
}

/**
 * `viber login`: pairs this machine with a gateway. By default as a node (the daemon's device key,
 * `daemon/device.json`; then `viber start` needs no flags); with --operator the CLI itself as an
 * operator device (`config/cli-device.json`; then the REST and terminal commands need no token).
 * Prints the pairing code an operator compares before approving, and waits until they decide;
 * `--code` (from `viber devices code`) pairs at once.
 */
export function registerLoginCommand(program: Command): void {
  addCaOption(
    program
      .command('login')
      .description('pair this machine with a gateway (as a viber node, or --operator for this CLI)')
      .option(
        '--server <url>',
        `the gateway, http(s)://host:port or ws(s)://host:port/ws (default OPENVIBER_SERVER, OPENVIBER_GATEWAY_URL or ${DEFAULT_GATEWAY_URL})`,
      )
      .option('--code <code>', 'a one-time pairing code from `viber devices code`: pairs without waiting')
      .option('--name <name>', 'how the operator sees this machine while pairing (default: the host name)')
      .option('--operator', 'pair this CLI as an operator device instead of a viber node'),
  ).action(async (flags: LoginFlags) => {
    const home = resolveHome();
    const urls = gatewayUrls(
      flags.server ??
        process.env.OPENVIBER_SERVER ??
        process.env.OPENVIBER_GATEWAY_URL ??
        DEFAULT_GATEWAY_URL,
    );
    const target = flags.operator ? operatorTarget(home, urls) : nodeTarget(home, urls);
    const identity = loadKey(target.keyPath);
    const name = (flags.name ?? hostname()).trim().slice(0, 200) || undefined;
    const ok = await pair(urls, target, identity, { ...flags, ...(name ? { name } : {}) });
    const token = ok.deviceToken ?? target.storedToken;
    if (!token) {
      throw new CliError(
        `the gateway accepted device ${ok.deviceId} but issued it no token; revoke it (viber devices revoke ${short(ok.deviceId)}) and log in again`,
      );
    }
    target.save(ok, token);
    process.stdout.write(`${target.done(ok, ok.deviceToken !== undefined)}\n`);
  });
}

function nodeTarget(home: OpenViberHome, urls: GatewayUrls): LoginTarget {
  const stored = readCredentials(home);
  return {
    role: 'node',
    keyPath: deviceKeyPath(home),
    credentialsPath: credentialsPath(home),
    socket: urls.daemonSocket,
    storedToken: stored.server === urls.daemonSocket ? stored.token : undefined,
    save(ok, token) {
      if (!ok.viberId) {
        throw new CliError(`the gateway paired device ${ok.deviceId} as a node but gave it no viber id`);
      }
      writeCredentials(home, { server: urls.daemonSocket, viberId: ok.viberId, token });
    },
    done(ok, fresh) {
      return fresh
        ? `paired as viber ${ok.viberId}: run \`viber start\``
        : `already paired as viber ${ok.viberId}: run \`viber start\``;
    },
  };
}

function operatorTarget(home: OpenViberHome, urls: GatewayUrls): LoginTarget {
  const stored = readCliCredentials(home);
  return {
    role: 'operator',
    keyPath: cliDeviceKeyPath(home),
    credentialsPath: cliCredentialsPath(home),
    socket: urls.operatorSocket,
    storedToken: stored?.server === urls.http ? stored.token : undefined,
    save(_ok, token) {
      writeCliCredentials(home, { server: urls.http, token });
    },
    done(ok, fresh) {
      const scopes = ok.scopes.length > 0 ? ok.scopes.join(', ') : 'none';
      return `${fresh ? 'paired this CLI' : 'this CLI is already paired'} as operator device ${short(ok.deviceId)} (scopes: ${scopes}); viber commands now reach ${urls.http} without a token`;
    },
  };
}

/** The handshake, with the pairing code shown and a spinner while an operator decides. */
async function pair(
  urls: GatewayUrls,
  target: LoginTarget,
  identity: DeviceIdentity,
  flags: LoginFlags & { name?: string },
): Promise<ConnectOk> {
  const spinner = new Spinner();
  const attempt = (token: string | undefined) =>
    handshakeOnce({
      url: target.socket,
      identity,
      ask: {
        role: target.role,
        ...(token ? { token } : {}),
        ...(flags.code ? { pairingCode: flags.code.trim() } : {}),
        ...(flags.name ? { name: flags.name } : {}),
        ...(target.role === 'node' ? { extensions: ['seq', 'command-ack'] } : {}),
        client: { name: 'openviber-cli', version: DAEMON_VERSION },
      },
      onPairing: (pairing) => {
        spinner.stop();
        process.stdout.write(pairingLines(urls, pairing));
        spinner.start(`waiting for an operator to approve this machine (code ${pairing.code})`);
      },
    });
  spinner.start(`connecting to ${target.socket}`);
  try {
    try {
      return await attempt(target.storedToken);
    } catch (error) {
      // A saved token this gateway does not know (its store was reset): ask to be paired anew.
      if (target.storedToken && error instanceof HandshakeRefusedError && error.code === 'unknown_device') {
        return await attempt(undefined);
      }
      throw error;
    }
  } catch (error) {
    if (error instanceof HandshakeRefusedError) throw refusalError(error, target, identity);
    throw error;
  } finally {
    spinner.stop();
  }
}

function pairingLines(urls: GatewayUrls, pairing: ConnectPairing): string {
  const until = new Date(pairing.expiresAt);
  return [
    `pairing code: ${styleText('bold', pairing.code)}`,
    `approve this machine on the board (${urls.http}/devices) after checking the code matches,`,
    `or on the gateway: viber devices approve ${short(pairing.deviceId)}`,
    `(the request lapses at ${Number.isNaN(until.getTime()) ? pairing.expiresAt : until.toLocaleTimeString()})`,
    '',
  ].join('\n');
}

/** A refusal as the one line the user needs: what happened and what to do about it. */
function refusalError(error: HandshakeRefusedError, target: LoginTarget, identity: DeviceIdentity): CliError {
  const why = describeRefusal(error);
  switch (error.code) {
    case 'pairing_rejected':
      return new CliError(`an operator rejected this machine's pairing request (${error.code})`);
    case 'pairing_expired':
      return new CliError(`nobody approved this machine in time (${error.code}): run viber login again`);
    case 'pairing_code_invalid':
      return new CliError(
        `the pairing code was refused: ${why}; ask an operator for a new one (viber devices code${target.role === 'operator' ? ' --role operator' : ''})`,
      );
    case 'revoked':
      return new CliError(
        `this machine's device ${short(identity.id)} was revoked (${why}); to pair it again as a new device, move ${target.keyPath} away and run viber login again`,
      );
    case 'unauthorized':
      return new CliError(
        `device ${short(identity.id)} is already paired, but its token is not in ${target.credentialsPath} (${why}); revoke it (viber devices revoke ${short(identity.id)}) and move ${target.keyPath} away, then log in again`,
      );
    default:
      return new CliError(`the gateway refused to pair this machine: ${why}`);
  }
}

function loadKey(path: string): DeviceIdentity {
  try {
    return loadOrCreateDeviceKey(path);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** A device id as shown and accepted by `viber devices` (a unique prefix is enough). */
function short(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}
