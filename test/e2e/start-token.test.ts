import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { type ManagedProcess, spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { CONNECTED_LINE, type GatewayHandle, spawnGateway } from '../support/viber-stack.ts';

// Hardening issue, item 3: `viber start --token T` leaves the token in /proc/<pid>/cmdline for
// every local user. The token can come from a file or standard input instead, and a literal
// `--token` is still accepted but warned about. Real gateway and `viber start` processes.

useE2eCleanup();

const WARNING = /warning: --token puts the token on the command line/;

function start(gateway: GatewayHandle, viberId: string, args: string[], stdin?: string): ManagedProcess {
  return spawnViber(['start', '--server', gateway.wsUrl, '--id', viberId, ...args], {
    name: `start-${args[0]}`,
    env: { OPENVIBER_HOME: makeTempDir('daemon') },
    ...(stdin !== undefined ? { stdin } : {}),
  });
}

/** What every local user can read of the process's command line. */
const commandLine = (child: ManagedProcess) => readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');

describe('viber start: where the viber token comes from', () => {
  it('reads it from --token-file or standard input, keeping it off the command line', async () => {
    const gateway = await spawnGateway();
    const viber = await gateway.rest.registerViber('private');
    const file = join(makeTempDir('token'), 'viber-token');
    writeFileSync(file, `${viber.token}\n`, { mode: 0o600 });

    const fromFile = start(gateway, viber.id, ['--token-file', file]);
    await fromFile.waitForLine(CONNECTED_LINE);
    expect(commandLine(fromFile)).not.toContain(viber.token);
    await fromFile.kill('SIGTERM', 10_000);
    expect(fromFile.stderr).not.toMatch(/warning/);

    const fromStdin = start(gateway, viber.id, ['--token', '-'], `${viber.token}\n`);
    await fromStdin.waitForLine(CONNECTED_LINE);
    expect(commandLine(fromStdin)).not.toContain(viber.token);
    await fromStdin.kill('SIGTERM', 10_000);
    expect(fromStdin.stderr).not.toMatch(/warning/);
  });

  it('still accepts a literal --token, with a warning on stderr that names the safe ways', async () => {
    const gateway = await spawnGateway();
    const viber = await gateway.rest.registerViber('visible');
    const literal = start(gateway, viber.id, ['--token', viber.token]);
    await literal.waitForLine(CONNECTED_LINE);
    await literal.kill('SIGTERM', 10_000);
    expect(literal.stderr).toMatch(WARNING);
    expect(literal.stderr).toContain('--token-file PATH, --token - (standard input)');
    expect(literal.stderr).not.toContain(viber.token);
  });

  it('refuses an unusable token source with one line and exit code 2', async () => {
    const gateway = await spawnGateway();
    const viber = await gateway.rest.registerViber('refused');
    const dir = makeTempDir('token');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    const shared = join(dir, 'shared');
    writeFileSync(shared, `${viber.token}\n`, { mode: 0o644 });
    const cases: Array<[string[], string | undefined, RegExp]> = [
      [['--token-file', join(dir, 'missing')], undefined, /--token-file \S+missing: ENOENT/],
      [['--token-file', empty], undefined, /--token-file \S+empty is empty/],
      [['--token', '-'], '', /--token -: no token on standard input/],
      [
        ['--token', 'x', '--token-file', empty],
        undefined,
        /--token and --token-file cannot be used together/,
      ],
    ];
    for (const [args, stdin, message] of cases) {
      const child = start(gateway, viber.id, args, stdin);
      expect((await child.exited).code, args.join(' ')).toBe(2);
      expect(child.stderr).toMatch(message);
    }
    // A token file others can read works, with a warning to fix its mode.
    const loose = start(gateway, viber.id, ['--token-file', shared]);
    await loose.waitForLine(CONNECTED_LINE);
    await loose.kill('SIGTERM', 10_000);
    expect(loose.stderr).toMatch(/warning: \S+shared is readable by other users \(mode 0644\); chmod 600 it/);
  });
});
