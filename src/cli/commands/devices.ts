import { styleText } from 'node:util';
import type { Command } from 'commander';
import { type GatewayClient, readAllPages } from '../../client/index.ts';
import { resolveHome } from '../../core/home.ts';
import {
  DeviceRoleSchema,
  DeviceStatusSchema,
  type DeviceView,
  type OperatorScope,
  OperatorScopeSchema,
  PAGE_LIMITS,
  type RotateDeviceResponse,
} from '../../protocol/index.ts';
import { CliError, checkedOption } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';
import { addPageOptions, type PageFlags, printRows, readListPages } from '../list-pages.ts';

const STATUS_COLORS = { pending: 'yellow', paired: 'green', revoked: 'gray' } as const;

/** A device id as listed: a key's 64 hex digits shortened to 12 (any unique prefix is accepted). */
export function shortDeviceId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

export function deviceLine(device: DeviceView): string {
  const status = styleText(STATUS_COLORS[device.status], device.status.padEnd(7));
  const what =
    device.role === 'node'
      ? (device.viberId ?? '')
      : device.scopes.length > 0
        ? device.scopes.join(',')
        : 'no scopes';
  const code = device.pairingCode ? `  code ${styleText('bold', device.pairingCode)}` : '';
  const seen = device.lastSeenAt ? styleText('dim', `  seen ${device.lastSeenAt}`) : '';
  const online = device.connections > 0 ? styleText('green', `  ${device.connections} connected`) : '';
  return `${shortDeviceId(device.id).padEnd(14)} ${status}  ${device.role.padEnd(8)} ${device.name}  ${styleText('dim', what)}${code}${online}${seen}`;
}

/**
 * The device one argument names: its full id, a unique prefix of it, or (for a pending request)
 * the pairing code the device shows. None or several: a precise error, listing the candidates.
 */
export function resolveDevice(devices: DeviceView[], given: string): DeviceView {
  const wanted = given.trim();
  if (!wanted) throw new CliError('give a device id (or a unique prefix of it)', 2);
  const exact = devices.find((device) => device.id === wanted);
  if (exact) return exact;
  const byCode = devices.find(
    (device) => device.pairingCode !== null && device.pairingCode.toUpperCase() === wanted.toUpperCase(),
  );
  if (byCode) return byCode;
  const matches = devices.filter((device) => device.id.startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new CliError(`no device has an id starting with "${wanted}" (list them with viber devices list)`);
  }
  const listed = matches
    .slice(0, 5)
    .map((device) => `${device.id} (${device.status} ${device.role} ${device.name})`)
    .join(', ');
  throw new CliError(
    `"${wanted}" matches ${matches.length} devices: ${listed}${matches.length > 5 ? ', ...' : ''}; give more of the id`,
  );
}

async function resolveDeviceId(client: GatewayClient, given: string): Promise<DeviceView> {
  const devices = await readAllPages(
    (cursor) => client.call('devices.list', { query: { limit: PAGE_LIMITS.max, cursor } }),
    (page) => page.devices,
  );
  return resolveDevice(devices, given);
}

/** `--scopes a,b`: each one an operator scope, named in the error when it is not. */
function parseScopes(value: string): OperatorScope[] {
  const scopes = value
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (scopes.length === 0) throw new CliError('--scopes: give at least one scope, comma-separated', 2);
  return scopes.map((scope) => {
    const parsed = OperatorScopeSchema.safeParse(scope);
    if (!parsed.success) {
      throw new CliError(
        `--scopes: unknown scope "${scope}"; known: ${OperatorScopeSchema.options.join(', ')}`,
        2,
      );
    }
    return parsed.data;
  });
}

const print = (flags: ClientFlags, value: unknown, text: string) =>
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);

/**
 * `viber devices`: the pairing requests and paired devices of the gateway (needs the
 * devices.admin scope: the operator token has it), and one-time pairing codes for new machines.
 */
export function registerDeviceCommands(program: Command): void {
  const devices = program
    .command('devices')
    .description('approve, reject, revoke and rotate paired devices; mint pairing codes for new machines');

  addPageOptions(addClientOptions(devices.command('list')))
    .description('list devices: pending pairing requests first, then paired, then revoked; a page at a time')
    .option('--status <status>', 'only devices pending, paired or revoked')
    .option('--role <role>', 'only node or operator devices')
    .action(async (flags: ClientFlags & PageFlags & { status?: string; role?: string }) => {
      const filters = {
        ...(flags.status ? { status: checkedOption('--status', DeviceStatusSchema, flags.status) } : {}),
        ...(flags.role ? { role: checkedOption('--role', DeviceRoleSchema, flags.role) } : {}),
      };
      const client = clientFromFlags(flags, resolveHome());
      const read = await readListPages(
        flags,
        (page) => client.call('devices.list', { query: { ...filters, ...page } }),
        (page) => page.devices,
      );
      printRows(read, flags.json, deviceLine, 'no devices');
    });

  addClientOptions(
    devices.command('approve').argument('<id>', 'device id, a unique prefix, or its pairing code'),
  )
    .description('approve a pending device: a node becomes a viber, an operator device gets its scopes')
    .option('--scopes <scopes>', 'an operator device: grant only these scopes (comma-separated)', parseScopes)
    .option('--name <name>', 'rename the device')
    .action(async (id: string, flags: ClientFlags & { scopes?: OperatorScope[]; name?: string }) => {
      const client = clientFromFlags(flags, resolveHome());
      const device = await resolveDeviceId(client, id);
      if (device.status !== 'pending') {
        throw new CliError(
          `device ${shortDeviceId(device.id)} (${device.name}) is ${device.status}, not pending`,
        );
      }
      if (flags.scopes && device.role !== 'operator') {
        throw new CliError(
          `--scopes is for operator devices; ${shortDeviceId(device.id)} is a ${device.role}`,
          2,
        );
      }
      const approved = await client.call('devices.approve', {
        params: { deviceId: device.id },
        body: {
          ...(flags.scopes ? { scopes: flags.scopes } : {}),
          ...(flags.name ? { name: flags.name } : {}),
        },
      });
      const what =
        approved.role === 'node'
          ? `as viber ${approved.viberId}`
          : `with scopes ${approved.scopes.join(', ') || 'none'}`;
      print(flags, approved, `approved ${shortDeviceId(approved.id)} (${approved.name}) ${what}`);
    });

  addClientOptions(
    devices.command('reject').argument('<id>', 'device id, a unique prefix, or its pairing code'),
  )
    .description('reject a pending pairing request (the waiting `viber login` ends)')
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const device = await resolveDeviceId(client, id);
      const rejected = await client.call('devices.reject', { params: { deviceId: device.id } });
      print(flags, rejected, `rejected ${shortDeviceId(device.id)} (${device.name})`);
    });

  addClientOptions(devices.command('revoke').argument('<id>', 'device id or a unique prefix'))
    .description('revoke a device: its token stops working and its connections close')
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const device = await resolveDeviceId(client, id);
      const revoked = await client.call('devices.revoke', { params: { deviceId: device.id } });
      const viber = device.role === 'node' && device.viberId ? ` (viber ${device.viberId} goes offline)` : '';
      print(flags, revoked, `revoked ${shortDeviceId(device.id)} (${device.name})${viber}`);
    });

  addClientOptions(devices.command('rotate').argument('<id>', 'device id or a unique prefix'))
    .description("replace a device's token: a keyed device collects the new one when it reconnects")
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const device = await resolveDeviceId(client, id);
      const rotated: RotateDeviceResponse = await client.call('devices.rotate', {
        params: { deviceId: device.id },
      });
      print(
        flags,
        rotated,
        rotated.token
          ? `rotated ${shortDeviceId(device.id)} (${device.name}); it has no device key, so its new token is here (shown once): ${rotated.token}`
          : `rotated ${shortDeviceId(device.id)} (${device.name}); it collects its new token when it reconnects`,
      );
    });

  addClientOptions(devices.command('code'))
    .description(
      'mint a one-time pairing code: `viber login --code CODE` on the new machine pairs it at once',
    )
    .option('--role <role>', 'node (a viber, default) or operator (a CLI)', 'node')
    .option('--scopes <scopes>', 'an operator code: the scopes it grants (comma-separated)', parseScopes)
    .action(async (flags: ClientFlags & { role: string; scopes?: OperatorScope[] }) => {
      if (flags.role !== 'node' && flags.role !== 'operator') {
        throw new CliError(`--role: invalid value "${flags.role}" (node or operator)`, 2);
      }
      if (flags.scopes && flags.role !== 'operator') throw new CliError('--scopes needs --role operator', 2);
      const client = clientFromFlags(flags, resolveHome());
      const minted = await client.call('pairingCodes.create', {
        body: { role: flags.role, ...(flags.scopes ? { scopes: flags.scopes } : {}) },
      });
      const operator = minted.role === 'operator' ? ' --operator' : '';
      print(
        flags,
        minted,
        `pairing code (works once, until ${new Date(minted.expiresAt).toLocaleTimeString()}): ${minted.code}\n` +
          `on the new machine run:\n  viber login --server ${client.baseUrl} --code ${minted.code}${operator}`,
      );
    });
}
