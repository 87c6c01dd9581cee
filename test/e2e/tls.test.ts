import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { type ManagedProcess, spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { makeTestPki, type TestPki, useTestCaTrust } from '../support/test-ca.ts';
import { type GatewayHandle, spawnDaemon, spawnGateway } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Control plane issue, item 9: `viber gateway --tls-cert F --tls-key F` serves https and wss on
// its one port, and clients trust a private CA with `viber start --ca F` or OPENVIBER_CA_FILE.
// A throwaway CA and a certificate for 127.0.0.1 made with the openssl binary
// (test/support/test-ca.ts), a real gateway, real daemons and real CLI processes; the test process
// itself trusts the CA only when it says so.

useE2eCleanup();

/** The test process trusts the test CA only when a test says so, until that test ends. */
const testCa = useTestCaTrust();

/** Node's words when the issuer of the server's certificate is not trusted. */
const UNTRUSTED = 'unable to verify the first certificate';
const MODEL_BASE_URL = 'http://127.0.0.1:9/v1'; // never called: these tests run no task

async function tlsGateway(pki: TestPki): Promise<GatewayHandle> {
  return spawnGateway({ args: ['--tls-cert', pki.cert, '--tls-key', pki.key] });
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function viber(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const child = spawnViber(args, {
    name: `cli-${args[0]}`,
    env: { OPENVIBER_HOME: makeTempDir('cli'), ...env },
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

/** The daemon's JSON log lines with this message. */
function logLines(child: ManagedProcess, msg: string): Array<Record<string, unknown>> {
  return child.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe('the gateway over TLS (--tls-cert, --tls-key)', () => {
  it('serves https and wss on one port to clients that trust its CA, and to no others', async () => {
    const pki = makeTestPki();
    const gateway = await tlsGateway(pki);
    expect(gateway.url).toBe(`https://127.0.0.1:${gateway.port}`);
    const [, announced] = await gateway.process.waitForLine(/daemons connect to (\S+)/);
    expect(announced).toBe(`wss://127.0.0.1:${gateway.port}/ws`);

    // Not trusted yet: the certificate is refused, and plain http on the port gets no answer.
    await expect(fetch(`${gateway.url}/health`)).rejects.toMatchObject({
      cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    });
    await expect(fetch(`http://127.0.0.1:${gateway.port}/health`)).rejects.toThrow();

    testCa.trust(pki);
    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).toBe(200);

    // A daemon given the CA with --ca connects over wss, and REST over https shows it online.
    // --ca wins over OPENVIBER_CA_FILE (here a file that does not exist).
    const registered = await gateway.rest.registerViber('over-tls');
    const daemon = await spawnDaemon({
      serverUrl: gateway.wsUrl,
      viberId: registered.id,
      token: registered.token,
      modelBaseURL: MODEL_BASE_URL,
      args: ['--ca', pki.ca],
      env: { OPENVIBER_CA_FILE: join(makeTempDir('ca'), 'missing.pem') },
    });
    expect(daemon.process.stdout).toContain(`connected to ${gateway.wsUrl} as ${registered.id}`);
    await waitFor(async () => (await gateway.rest.getViber(registered.id))?.presence === 'online', {
      description: 'the viber online over https',
    });

    // Every CLI command trusts OPENVIBER_CA_FILE (here a bundle of two); without it the refusal is one line.
    const client = { OPENVIBER_GATEWAY_URL: gateway.url, OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken };
    const listed = await viber(['vibers', 'list', '--json'], { ...client, OPENVIBER_CA_FILE: pki.bundle });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: registered.id, presence: 'online' }),
    ]);
    const untrusted = await viber(['vibers', 'list', '--json'], client);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr.startsWith(`viber: cannot reach the gateway at ${gateway.url}: `)).toBe(true);
    expect(untrusted.stderr).toMatch(new RegExp(`^[^\n]*fetch failed \\(${UNTRUSTED}[^\n]*\\)\n$`));
  });

  it('tells a daemon without the CA why it cannot connect, and refuses a CA file that is not one', async () => {
    const pki = makeTestPki();
    const gateway = await tlsGateway(pki);
    testCa.trust(pki);
    const registered = await gateway.rest.registerViber('no-ca');
    const daemon = await spawnDaemon(
      {
        serverUrl: gateway.wsUrl,
        viberId: registered.id,
        token: registered.token,
        modelBaseURL: MODEL_BASE_URL,
      },
      false,
    );
    const [refused] = await waitFor(
      () => {
        const lines = logLines(daemon.process, 'could not connect to gateway');
        return lines.length > 0 ? lines : undefined;
      },
      { description: 'the daemon to log a failed connection' },
    );
    expect(refused).toMatchObject({
      errorCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      error: expect.stringContaining(UNTRUSTED),
      hint: expect.stringContaining('--ca FILE or OPENVIBER_CA_FILE'),
    });
    expect(daemon.connections).toBe(0);
    expect((await gateway.rest.getViber(registered.id))?.presence).toBe('offline');

    // --ca and OPENVIBER_CA_FILE must name a readable PEM certificate: one line, exit 2.
    const start = ['start', '--server', gateway.wsUrl, '--id', registered.id];
    const daemonEnv = { OPENVIBER_VIBER_TOKEN: registered.token };
    const missing = await viber([...start, '--ca', join(makeTempDir('ca'), 'missing.pem')], daemonEnv);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^viber: --ca \S+missing\.pem: ENOENT[^\n]*\n$/);
    const notACert = await viber(start, { ...daemonEnv, OPENVIBER_CA_FILE: pki.key });
    expect(notACert.code).toBe(2);
    expect(notACert.stderr).toBe(
      `viber: OPENVIBER_CA_FILE ${pki.key}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)\n`,
    );
  });

  it('refuses unusable --tls-cert/--tls-key with one line and exit code 2', async () => {
    const pki = makeTestPki();
    const missing = join(makeTempDir('tls-missing'), 'missing.pem');
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', pki.cert], /^viber: --tls-cert and --tls-key go together: give both or neither\n$/],
      [['--tls-key', pki.key], /^viber: --tls-cert and --tls-key go together: give both or neither\n$/],
      [['--tls-cert', missing, '--tls-key', pki.key], /^viber: --tls-cert \S+missing\.pem: ENOENT[^\n]*\n$/],
      [['--tls-cert', pki.cert, '--tls-key', missing], /^viber: --tls-key \S+missing\.pem: ENOENT[^\n]*\n$/],
      [
        ['--tls-cert', pki.key, '--tls-key', pki.key],
        /^viber: --tls-cert \S+server\.key: not a PEM certificate [^\n]*\n$/,
      ],
      [
        ['--tls-cert', pki.cert, '--tls-key', pki.cert],
        /^viber: --tls-key \S+server\.pem: not a PEM private key [^\n]*\n$/,
      ],
      [
        ['--tls-cert', pki.cert, '--tls-key', pki.otherKey],
        /^viber: --tls-cert \S+server\.pem and --tls-key \S+other\.key do not make a usable pair \([^\n]*\)\n$/,
      ],
    ];
    for (const [flags, message] of cases) {
      const result = await viber(['gateway', '--port', '0', ...flags]);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr, flags.join(' ')).toMatch(message);
      expect(result.stdout, flags.join(' ')).not.toContain('listening');
    }
  });

  it('viber up takes the same flags; its local daemon trusts the CA from OPENVIBER_CA_FILE', async () => {
    const pki = makeTestPki();
    // The certificate file may carry the chain after the certificate.
    const up = spawnViber(['up', '--port', '0', '--tls-cert', pki.fullchain, '--tls-key', pki.key], {
      name: 'up-tls',
      env: { OPENVIBER_HOME: makeTempDir('up'), OPENVIBER_CA_FILE: pki.ca },
    });
    const [, url] = await up.waitForLine(/gateway\s+(https:\/\/127\.0\.0\.1:\d+)/);
    const [, wsUrl] = await up.waitForLine(/daemon .* connected to (\S+) as viber_/);
    expect(wsUrl).toBe(`wss://127.0.0.1:${new URL(url!).port}/ws`);
    testCa.trust(pki);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await up.kill('SIGTERM', 10_000)).code).toBe(0);
  });
});
