import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { spawnNode, spawnViber, VIBER_BIN } from '../support/processes.ts';
import { RestClient } from '../support/rest-client.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { LISTENING_LINE } from '../support/viber-stack.ts';

// `viber service` writes systemd user units under XDG_CONFIG_HOME. The machine's own systemctl is
// never run: PATH holds either nothing or a stand-in that records its arguments.

useE2eCleanup();

interface Setup {
  home: string;
  xdg: string;
  bin: string;
  calls: string;
}

function setup(withSystemctl: boolean): Setup {
  const home = makeTempDir('service-home');
  const xdg = makeTempDir('service-xdg');
  const bin = makeTempDir('service-bin');
  const calls = join(bin, 'calls.log');
  if (withSystemctl) {
    writeFileSync(
      join(bin, 'systemctl'),
      `#!/bin/sh\necho "$@" >> ${calls}\n[ "$2" = is-active ] && echo active\nexit 0\n`,
    );
    chmodSync(join(bin, 'systemctl'), 0o755);
  }
  return { home, xdg, bin, calls };
}

async function service(s: Setup, args: string[]) {
  const process = spawnViber(['service', ...args], {
    name: `service-${args[0]}`,
    env: { OPENVIBER_HOME: s.home, XDG_CONFIG_HOME: s.xdg, PATH: s.bin },
  });
  const { code } = await process.exited;
  return { code, stdout: process.stdout, stderr: process.stderr };
}

const unitFile = (s: Setup, name: string) => join(s.xdg, 'systemd', 'user', `openviber-${name}.service`);

/** `Key=value` lines of a unit, in order. */
function unitLines(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

describe('viber service', () => {
  it('--dry-run prints both units and writes nothing', async () => {
    const s = setup(false);
    const result = await service(s, ['install', '--dry-run', '--port', '7100']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`# ${unitFile(s, 'gateway')}\n[Unit]\nDescription=OpenViber gateway`);
    expect(result.stdout).toContain(`# ${unitFile(s, 'daemon')}\n[Unit]\nDescription=OpenViber daemon`);
    expect(result.stdout).toContain(`ExecStart=${process.execPath} ${VIBER_BIN} gateway --port 7100\n`);
    expect(existsSync(join(s.xdg, 'systemd'))).toBe(false);
  });

  it('writes the units; without systemctl it prints the commands to run', async () => {
    const s = setup(false);
    const result = await service(s, ['install', '--port', '7100']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `wrote ${unitFile(s, 'gateway')}`,
        `wrote ${unitFile(s, 'daemon')}`,
        'note: the daemon needs this machine paired first: viber login --server http://127.0.0.1:7100 (until then openviber-daemon.service restarts and fails)',
        'systemctl --user is not available here; run:',
        '  systemctl --user daemon-reload',
        '  systemctl --user enable --now openviber-gateway.service openviber-daemon.service',
        'logs: journalctl --user -u openviber-gateway.service -u openviber-daemon.service',
        '',
      ].join('\n'),
    );
    const gateway = readFileSync(unitFile(s, 'gateway'), 'utf8');
    expect(unitLines(gateway, 'ExecStart')).toEqual([`${process.execPath} ${VIBER_BIN} gateway --port 7100`]);
    expect(unitLines(gateway, 'Environment')).toEqual([`OPENVIBER_HOME=${s.home}`, `PATH=${s.bin}`]);
    expect(unitLines(gateway, 'Restart')).toEqual(['on-failure']);
    expect(unitLines(gateway, 'WantedBy')).toEqual(['default.target']);
    const daemon = readFileSync(unitFile(s, 'daemon'), 'utf8');
    expect(unitLines(daemon, 'ExecStart')).toEqual([`${process.execPath} ${VIBER_BIN} start`]);
    expect(unitLines(daemon, 'After')).toEqual(['network-online.target openviber-gateway.service']);
    expect(unitLines(daemon, 'Restart')).toEqual(['on-failure']);
  });

  it('runs systemctl --user when there is one: install, status, uninstall', async () => {
    const s = setup(true);
    expect((await service(s, ['install'])).code).toBe(0);
    const status = await service(s, ['status']);
    expect(status.stdout).toContain(
      `openviber-gateway.service: installed at ${unitFile(s, 'gateway')}, active; runs `,
    );
    const removed = await service(s, ['uninstall']);
    expect(removed.stdout).toContain(`removed ${unitFile(s, 'daemon')}`);
    expect(existsSync(unitFile(s, 'gateway'))).toBe(false);
    expect(
      readFileSync(s.calls, 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('--user show-environment')),
    ).toEqual([
      '--user daemon-reload',
      '--user enable --now openviber-gateway.service openviber-daemon.service',
      '--user is-active openviber-gateway.service',
      '--user is-active openviber-daemon.service',
      '--user disable --now openviber-gateway.service openviber-daemon.service',
      '--user daemon-reload',
      '',
    ]);
    expect((await service(s, ['status'])).stdout).toContain('openviber-daemon.service: not installed');
  });

  it("each unit's ExecStart starts: the gateway serves, the paired daemon connects to it", async () => {
    const s = setup(false);
    expect((await service(s, ['install', '--port', '0'])).code).toBe(0);
    const start = (name: string) => {
      const text = readFileSync(unitFile(s, name), 'utf8');
      const [node, ...args] = unitLines(text, 'ExecStart')[0]!.split(' ');
      expect(node).toBe(process.execPath);
      const env = Object.fromEntries(
        unitLines(text, 'Environment').map((entry) => [
          entry.slice(0, entry.indexOf('=')),
          entry.slice(entry.indexOf('=') + 1),
        ]),
      );
      return spawnNode(args, { name: `unit-${name}`, env });
    };
    const gateway = start('gateway');
    const [, url] = await gateway.waitForLine(LISTENING_LINE, { timeoutMs: 60_000 });
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');

    // Paired as `viber login` leaves it: the daemon unit takes no flags.
    const operatorToken = readFileSync(join(s.home, 'gateway', 'operator-token'), 'utf8').trim();
    const viber = await new RestClient(url!, operatorToken).registerViber('unit-daemon');
    const port = new URL(url!).port;
    mkdirSync(join(s.home, 'daemon'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.home, 'daemon', 'credentials.json'),
      JSON.stringify({ server: `ws://127.0.0.1:${port}/ws`, viberId: viber.id, token: viber.token }),
      { mode: 0o600 },
    );
    const daemon = start('daemon');
    await daemon.waitForLine(new RegExp(`^connected to ws://127\\.0\\.0\\.1:${port}/ws as ${viber.id}`), {
      timeoutMs: 60_000,
    });
    await daemon.kill('SIGTERM', 10_000);
    await gateway.kill('SIGTERM', 10_000);
  });
});
