import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The gateway and the daemon as systemd user units: the absolute Node that runs this CLI and its
 * bin/viber.js (a unit has no login shell or nvm), this home, and the PATH the installer had so
 * the agent finds tmux, git and chromium. Logs go to the journal (`journalctl --user -u <unit>`).
 */

export const VIBER_BIN = fileURLToPath(new URL('../../bin/viber.js', import.meta.url));

export type ServiceName = 'gateway' | 'daemon';
export const SERVICES: ServiceName[] = ['gateway', 'daemon'];

export const unitName = (service: ServiceName): string => `openviber-${service}.service`;

/** `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`). */
export function unitDir(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME?.trim() ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config');
  return join(config, 'systemd', 'user');
}

export interface UnitOptions {
  home: string;
  /** The gateway's port (its ExecStart's --port). */
  port: number;
  nodePath?: string;
  path?: string;
}

/** One word of a unit line: quoted when it has spaces or quotes; `%` doubled (specifiers). */
export function quoteWord(word: string): string {
  const escaped = word.replaceAll('%', '%%');
  if (!/[\s"'\\]/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The command line a unit starts, as words (tests run it). */
export function execStartOf(service: ServiceName, options: UnitOptions): string[] {
  const node = options.nodePath ?? process.execPath;
  return service === 'gateway'
    ? [node, VIBER_BIN, 'gateway', '--port', String(options.port)]
    : [node, VIBER_BIN, 'start'];
}

export function renderUnit(service: ServiceName, options: UnitOptions): string {
  const description =
    service === 'gateway'
      ? 'OpenViber gateway (REST, board, WebSocket)'
      : 'OpenViber daemon (runs the tasks)';
  const order =
    service === 'daemon'
      ? `After=network-online.target ${unitName('gateway')}\nWants=network-online.target\n`
      : 'After=network-online.target\nWants=network-online.target\n';
  const environment = [`OPENVIBER_HOME=${options.home}`, `PATH=${options.path ?? process.env.PATH ?? ''}`];
  return [
    '[Unit]',
    `Description=${description}`,
    `${order}`.trimEnd(),
    '',
    '[Service]',
    'Type=simple',
    ...environment.map((entry) => `Environment=${quoteWord(entry)}`),
    `ExecStart=${execStartOf(service, options).map(quoteWord).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=2',
    // SIGTERM lets the daemon suspend its running tasks for the next start to resume.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** An executable on PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (!folder) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
