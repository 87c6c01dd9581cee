import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FINAL_TEXT, makeFixtureDir, toolThenText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import { type ManagedProcess, spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { CONNECTED_LINE, type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 11, `viber login`: a new machine pairs with a gateway that does not approve loopback
// daemons by itself; an operator approves, rejects or revokes it with `viber devices`; a one-time
// code pairs at once and only once; `viber start` then needs no flags. Real processes throughout.

useE2eCleanup();

const PAIRING_LINE = /^pairing code: (\S+)/;
const APPROVE_LINE = /viber devices approve (\S+)/;
const PAIRED_LINE = /^paired as viber (viber_\S+): run `viber start`/;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function finished(process: ManagedProcess, timeoutMs = 30_000): Promise<Result> {
  const { code } = await waitFor(() => process.exitInfo, {
    timeoutMs,
    description: `${process.name} to exit`,
  });
  return { code, stdout: process.stdout, stderr: process.stderr };
}

/** `viber <args>` as the operator on the gateway's side: its URL and the operator token. */
function operator(gateway: GatewayHandle, args: string[]): Promise<Result> {
  const child = spawnViber(args, {
    name: `operator-${args.slice(0, 2).join('-')}`,
    env: {
      OPENVIBER_HOME: makeTempDir('operator'),
      OPENVIBER_GATEWAY_URL: gateway.url,
      OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken,
    },
  });
  return finished(child);
}

/** `viber login ...` on a new machine (its own home). */
function login(home: string, args: string[]): ManagedProcess {
  return spawnViber(['login', ...args], { name: 'login', env: { OPENVIBER_HOME: home } });
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('viber login', () => {
  it('pairs a new machine once an operator approves it; viber start then runs tasks with no flags until revoked', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway({ args: ['--no-auto-approve'] });
    const machine = makeTempDir('machine');

    // The machine asks; it shows a code and waits.
    const pairing = login(machine, ['--server', gateway.url, '--name', 'laptop']);
    const [, code] = await pairing.waitForLine(PAIRING_LINE);
    const [, prefix] = await pairing.waitForLine(APPROVE_LINE);
    expect(pairing.stdout).toContain(`${gateway.url}/devices`);
    expect(prefix).toHaveLength(12);

    const listed = await operator(gateway, ['devices', 'list', '--json']);
    const pending = (JSON.parse(listed.stdout) as { id: string; status: string; pairingCode: string }[]).find(
      (device) => device.status === 'pending',
    );
    expect(pending).toMatchObject({ pairingCode: code, id: expect.stringMatching(new RegExp(`^${prefix}`)) });

    // The operator approves it by a prefix of its id; login stores the credentials and ends.
    const approved = await operator(gateway, ['devices', 'approve', prefix!]);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toMatch(new RegExp(`approved ${prefix} \\(laptop\\) as viber viber_`));
    const loggedIn = await finished(pairing);
    expect(loggedIn.code).toBe(0);
    const [, viberId] =
      loggedIn.stdout
        .split('\n')
        .map((line) => line.match(PAIRED_LINE))
        .find(Boolean) ?? [];
    expect(viberId).toMatch(/^viber_/);
    const credentialsFile = join(machine, 'daemon', 'credentials.json');
    const keyFile = join(machine, 'daemon', 'device.json');
    expect(readJson(credentialsFile)).toEqual({
      server: gateway.wsUrl,
      viberId,
      token: expect.stringMatching(/^ovd_/),
    });
    // (d) The key and the token are this user's only.
    expect(modeOf(credentialsFile)).toBe(0o600);
    expect(modeOf(keyFile)).toBe(0o600);
    expect(modeOf(join(machine, 'daemon'))).toBe(0o700);

    // `viber start` with no flags connects as that viber and runs a task end to end.
    const daemon = spawnViber(['start'], {
      name: 'start-no-flags',
      env: {
        OPENVIBER_HOME: machine,
        OPENVIBER_MODEL: 'custom/test-model',
        OPENVIBER_BASE_URL: model.baseURL,
      },
    });
    const [, url, connectedAs] = await daemon.waitForLine(CONNECTED_LINE);
    expect(url).toBe(gateway.wsUrl);
    expect(connectedAs).toBe(viberId);
    const task = await gateway.rest.createTask({
      goal: 'List the files in the working folder.',
      viberId: viberId!,
      options: { cwd: makeFixtureDir() },
    });
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed');
    expect(JSON.stringify(detail)).toContain(FINAL_TEXT);
    expect(model.requests).toHaveLength(2);

    // Revoked: the daemon is disconnected and exits with the reason.
    const revoked = await operator(gateway, ['devices', 'revoke', prefix!]);
    expect(revoked.stdout).toContain(`revoked ${prefix} (laptop) (viber ${viberId} goes offline)`);
    const exited = await finished(daemon);
    expect(exited.code).toBe(1);
    expect(exited.stderr).toMatch(/viber: the gateway refused this viber: .*revoked/);
    expect((await gateway.rest.getViber(viberId!))?.presence).toBe('offline');

    // The revoked key cannot log in again: the message says how to pair anew.
    const again = await finished(login(machine, ['--server', gateway.wsUrl]));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /device \w{12} was revoked .*move \S+device\.json away and run viber login again/,
    );
  });

  it('pairs at once with a one-time code, and refuses the same code again', async () => {
    const gateway = await spawnGateway({ args: ['--no-auto-approve'] });
    const minted = await operator(gateway, ['devices', 'code']);
    expect(minted.code).toBe(0);
    const [, server, code] = minted.stdout.match(/viber login --server (\S+) --code (\S+)/) ?? [];
    expect(server).toBe(gateway.url);

    const first = makeTempDir('machine-a');
    const paired = await finished(login(first, ['--server', server!, '--code', code!]));
    expect(paired.code).toBe(0);
    expect(paired.stdout).toMatch(PAIRED_LINE);
    expect(paired.stdout).not.toMatch(PAIRING_LINE);
    expect(readJson(join(first, 'daemon', 'credentials.json'))).toMatchObject({ server: gateway.wsUrl });

    const second = makeTempDir('machine-b');
    const reused = await finished(login(second, ['--server', gateway.wsUrl, '--code', code!]));
    expect(reused.code).toBe(1);
    expect(reused.stderr).toMatch(
      /viber: the pairing code was refused: .*\(pairing_code_invalid\); ask an operator for a new one \(viber devices code\)/,
    );
    expect(reused.stdout).not.toMatch(PAIRED_LINE);
  });

  it('ends with a clear message and a non-zero exit when an operator rejects the request', async () => {
    const gateway = await spawnGateway({ args: ['--no-auto-approve'] });
    const machine = makeTempDir('machine');
    const pairing = login(machine, ['--server', gateway.url]);
    const [, code] = await pairing.waitForLine(PAIRING_LINE);
    // The pairing code the machine shows names the request too.
    const rejected = await operator(gateway, ['devices', 'reject', code!]);
    expect(rejected.stdout).toMatch(/^rejected \w{12} /);
    const result = await finished(pairing);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "viber: an operator rejected this machine's pairing request (pairing_rejected)",
    );
    expect(() => statSync(join(machine, 'daemon', 'credentials.json'))).toThrow();
  });

  it('pairs the CLI itself as an operator device whose token the REST and terminal commands then use', async () => {
    const gateway = await spawnGateway({ args: ['--no-auto-approve'] });
    // A viber added by hand (a keyless device's token, the daemon's own key) needs no approval.
    const viber = await spawnViberFor(gateway, {
      modelBaseURL: 'http://127.0.0.1:9/v1',
      name: 'term-target',
    });
    const cli = makeTempDir('cli');
    const pairing = login(cli, ['--operator', '--server', gateway.wsUrl]);
    const [, prefix] = await pairing.waitForLine(APPROVE_LINE);
    const approved = await operator(gateway, [
      'devices',
      'approve',
      prefix!,
      '--scopes',
      'devices.admin,tasks.read,terminals.read,terminals.write',
    ]);
    expect(approved.stdout).toContain(
      'with scopes devices.admin, tasks.read, terminals.read, terminals.write',
    );
    const result = await finished(pairing);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`paired this CLI as operator device ${prefix}`);
    const credentialsFile = join(cli, 'config', 'cli-credentials.json');
    expect(readJson(credentialsFile)).toEqual({ server: gateway.url, token: expect.stringMatching(/^ovd_/) });
    expect(modeOf(credentialsFile)).toBe(0o600);
    expect(modeOf(join(cli, 'config', 'cli-device.json'))).toBe(0o600);

    // No --token, no OPENVIBER_OPERATOR_TOKEN, no URL: the CLI's own device token and gateway.
    const run = (args: string[]) =>
      finished(spawnViber(args, { name: `cli-${args[0]}`, env: { OPENVIBER_HOME: cli } }));
    const listed = await run(['devices', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: expect.stringMatching(new RegExp(`^${prefix}`)) }),
      ]),
    );
    // Not granted: answered 403 with the scope named.
    const denied = await run(['vibers', 'add', 'nope']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/gateway answered 403: .*vibers\.admin/);
    // The terminal socket signs its handshake with the CLI's key (the token is bound to it).
    const term = await run(['term', 'list', viber.viberId, '--json']);
    expect(term.stderr).toBe('');
    expect(term.code).toBe(0);
    expect(JSON.parse(term.stdout)).toEqual(expect.any(Array));
    // `viber status` looks at the gateway the CLI was paired with.
    const status = await run(['status', '--json']);
    expect(JSON.parse(status.stdout).gateway).toMatchObject({ url: gateway.url, status: 'ok' });
  });
});
