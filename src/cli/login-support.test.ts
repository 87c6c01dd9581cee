import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../test/support/in-process/temp-home.ts';
import { ensureDir } from '../core/home.ts';
import type { DeviceView } from '../protocol/index.ts';
import { writeCliCredentials } from './cli-credentials.ts';
import { resolveDevice } from './commands/devices.ts';
import { resolveCredentials, writeCredentials } from './daemon-credentials.ts';
import { resolveGatewayTarget } from './gateway-client.ts';
import { gatewayUrls } from './gateway-handshake.ts';

// The pure parts of `viber login`, `viber start` and `viber devices`: URLs, where credentials come
// from, which token goes to which gateway, and naming a device by a prefix.

const temp = useTempHome('login');

describe('gatewayUrls', () => {
  it('derives the http base and both sockets from any one of them', () => {
    const expected = {
      http: 'http://127.0.0.1:6007',
      daemonSocket: 'ws://127.0.0.1:6007/ws',
      operatorSocket: 'ws://127.0.0.1:6007/api/ws',
    };
    for (const input of [
      'http://127.0.0.1:6007',
      'http://127.0.0.1:6007/',
      'ws://127.0.0.1:6007/ws',
      'ws://127.0.0.1:6007/api/ws',
    ]) {
      expect(gatewayUrls(input)).toEqual(expected);
    }
    expect(gatewayUrls('wss://gw.example:8443/openviber/ws')).toEqual({
      http: 'https://gw.example:8443/openviber',
      daemonSocket: 'wss://gw.example:8443/openviber/ws',
      operatorSocket: 'wss://gw.example:8443/openviber/api/ws',
    });
    expect(gatewayUrls('https://gw.example').daemonSocket).toBe('wss://gw.example/ws');
  });

  it('refuses what is not a gateway address, naming the option', () => {
    expect(() => gatewayUrls('gw.example:6007')).toThrow(/--server "gw.example:6007" must start with/);
    expect(() => gatewayUrls('not a url')).toThrow(/--server "not a url" is not a URL/);
    expect(() => gatewayUrls('ftp://gw')).toThrow(/must start with http/);
    expect(() => gatewayUrls('http://user:pw@gw')).toThrow(/no query, fragment or credentials/);
  });
});

describe('resolveCredentials', () => {
  it('runs with no flags on what viber login saved, and without an id when there is a token', () => {
    writeCredentials(temp.home, { server: 'ws://gw:1/ws', viberId: 'viber_a', token: 'ovd_t' });
    expect(resolveCredentials(temp.home, {}, {})).toEqual({
      server: 'ws://gw:1/ws',
      viberId: 'viber_a',
      token: 'ovd_t',
    });
    writeCredentials(temp.home, { server: 'ws://gw:1/ws', token: 'ovd_t' });
    expect(resolveCredentials(temp.home, {}, {})).toEqual({ server: 'ws://gw:1/ws', token: 'ovd_t' });
    // Flags and the environment still win.
    expect(resolveCredentials(temp.home, { id: 'viber_b' }, { OPENVIBER_VIBER_TOKEN: 'ovv_env' })).toEqual({
      server: 'ws://gw:1/ws',
      viberId: 'viber_b',
      token: 'ovv_env',
    });
  });

  it('names every missing piece and both ways to get them', () => {
    expect(() => resolveCredentials(temp.home, { server: 'ws://gw:1/ws' }, {})).toThrow(
      'missing --id (or OPENVIBER_VIBER_ID), --token-file or --token (or OPENVIBER_VIBER_TOKEN). Pair this machine with the gateway (viber login --server URL), or register a viber on it (viber vibers add NAME) to get an id and token.',
    );
    expect(() => resolveCredentials(temp.home, { id: 'viber_a' }, {})).toThrow(
      /^missing --server \(or OPENVIBER_SERVER\), --token-file or --token/,
    );
  });
});

describe('resolveGatewayTarget', () => {
  it('takes the token from --token, the environment, the local token file, then viber login --operator', () => {
    const home = temp.home;
    writeCliCredentials(home, { server: 'https://gw.example', token: 'ovd_cli' });
    expect(resolveGatewayTarget(home, {}, {})).toEqual({
      url: 'https://gw.example',
      token: 'ovd_cli',
      tokenSource: 'cli-login',
    });
    ensureDir(home.gateway);
    writeFileSync(join(home.gateway, 'operator-token'), 'ovo_local\n');
    expect(resolveGatewayTarget(home, {}, {})).toMatchObject({ token: 'ovo_local', tokenSource: 'local' });
    expect(resolveGatewayTarget(home, {}, { OPENVIBER_OPERATOR_TOKEN: 'ovo_env' })).toMatchObject({
      token: 'ovo_env',
      tokenSource: 'env',
    });
    expect(
      resolveGatewayTarget(home, { token: 'ovo_flag' }, { OPENVIBER_OPERATOR_TOKEN: 'ovo_env' }),
    ).toMatchObject({ token: 'ovo_flag', tokenSource: 'flag', url: 'http://127.0.0.1:6007' });
  });

  it("never sends the CLI's own token to another gateway", () => {
    writeCliCredentials(temp.home, { server: 'https://gw.example', token: 'ovd_cli' });
    expect(resolveGatewayTarget(temp.home, { gateway: 'https://gw.example/' }, {})).toMatchObject({
      token: 'ovd_cli',
    });
    expect(() => resolveGatewayTarget(temp.home, { gateway: 'https://other.example' }, {})).toThrow(
      /no operator token: .*cli-credentials\.json holds a token for https:\/\/gw\.example only/,
    );
  });
});

describe('resolveDevice', () => {
  const device = (id: string, extra: Partial<DeviceView> = {}): DeviceView => ({
    id,
    keyId: id,
    name: `device ${id.slice(0, 4)}`,
    role: 'node',
    scopes: [],
    status: 'pending',
    viberId: null,
    pairingCode: null,
    source: '127.0.0.1',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: null,
    decidedAt: null,
    lastSeenAt: null,
    tokenCreatedAt: null,
    tokenLastUsedAt: null,
    connections: 0,
    ...extra,
  });
  const devices = [
    device('ab12'.padEnd(64, '0')),
    device('ab34'.padEnd(64, '1'), { pairingCode: 'WXYZ-2345' }),
    device('operator-token', { role: 'operator', status: 'paired' }),
  ];

  it('finds a device by its id, a unique prefix, or its pairing code', () => {
    expect(resolveDevice(devices, 'operator-token').id).toBe('operator-token');
    expect(resolveDevice(devices, 'ab1').id).toBe(devices[0]!.id);
    expect(resolveDevice(devices, devices[1]!.id).id).toBe(devices[1]!.id);
    expect(resolveDevice(devices, 'wxyz-2345').id).toBe(devices[1]!.id);
  });

  it('says so when a prefix names none or several', () => {
    expect(() => resolveDevice(devices, 'ff')).toThrow('no device has an id starting with "ff"');
    expect(() => resolveDevice(devices, 'ab')).toThrow(/"ab" matches 2 devices: ab120+ \(pending node/);
    expect(() => resolveDevice(devices, ' ')).toThrow(/give a device id/);
  });
});
