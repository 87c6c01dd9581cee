import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenViberHome } from '../../core/home.ts';
import type { Logger } from '../../core/logger.ts';
import type { GatewayMessage, ListedPort } from '../../protocol/index.ts';
import { PreparedStates } from '../environment/prepared-state.ts';
import { type DiscoveredPort, discoverPorts, type WorkPlaces } from './port-discovery.ts';
import { PortExchanges, type PortLink, type PortMessage, type PortTarget } from './port-exchanges.ts';
import { probePort } from './port-probe.ts';
import { readListeningSockets } from './proc-net.ts';

export type PortsRequest = Extract<GatewayMessage, { type: `port:${string}` | 'ports:list' }>;

/** A port found this recently is reached without looking at /proc again (a page loads many assets). */
const DISCOVERY_FRESH_MS = 2_000;

export interface ViberPortsOptions {
  home: OpenViberHome;
  viberId: string;
  link: PortLink;
  /** The daemon's tmux server socket (docs/terminals.md). */
  tmuxSocket?: string;
  /** Where /proc is (tests point elsewhere only to prove a machine without it is said so). */
  procRoot?: string;
  log: Logger;
}

/**
 * The daemon's ports: lists the viber's listening services on request, and relays the requests
 * the gateway proxies to them (PortExchanges), only to ports of the viber's work.
 */
export class ViberPorts {
  readonly #options: ViberPortsOptions;
  readonly #exchanges: PortExchanges;
  #recent: { at: number; ports: DiscoveredPort[] } | undefined;

  constructor(options: ViberPortsOptions) {
    this.#options = options;
    this.#exchanges = new PortExchanges({
      link: options.link,
      target: (port) => this.#target(port),
      viberId: options.viberId,
      log: options.log,
    });
  }

  handle(message: PortsRequest): void {
    if (message.type === 'ports:list') void this.#list(message.requestId);
    else this.#exchanges.handle(message as PortMessage);
  }

  closeAll(): void {
    this.#exchanges.closeAll();
  }

  /** The ports of the viber's work now, each probed. */
  async list(): Promise<ListedPort[]> {
    const found = await this.#discover();
    return Promise.all(
      found.map(async (port) => ({ ...port, ...(await probePort(port.address, port.port)) })),
    );
  }

  async #list(requestId: string): Promise<void> {
    const { link, log } = this.#options;
    if (process.platform !== 'linux') {
      link.send({ type: 'ports:listed', requestId, ports: [], unavailable: unavailableReason() });
      return;
    }
    try {
      link.send({ type: 'ports:listed', requestId, ports: await this.list() });
    } catch (error) {
      log.warn({ err: error }, 'listing ports failed');
      link.send({ type: 'ports:listed', requestId, ports: [], unavailable: (error as Error).message });
    }
  }

  async #discover(): Promise<DiscoveredPort[]> {
    const ports = await discoverPorts(this.#places(), this.#options.procRoot);
    this.#recent = { at: Date.now(), ports };
    return ports;
  }

  /** Only a port of the viber's work may be reached: looked up again unless just found. */
  async #target(port: number): Promise<PortTarget> {
    const where = `port ${port} on viber ${this.#options.viberId}`;
    const recent = this.#recent;
    let found =
      recent && Date.now() - recent.at < DISCOVERY_FRESH_MS
        ? recent.ports.find((candidate) => candidate.port === port)
        : undefined;
    found ??= (await this.#discover()).find((candidate) => candidate.port === port);
    if (found) return { ok: true, address: found.address };
    const listening = (await readListeningSockets(this.#options.procRoot)).some(
      (socket) => socket.port === port,
    );
    if (!listening) return { ok: false, failure: 'closed', message: `nothing listens on ${where}` };
    return {
      ok: false,
      failure: 'not_viber_port',
      message: `${where} is not one of the viber's services: only ports that its tasks, terminals and workspaces listen on can be opened`,
    };
  }

  #places(): WorkPlaces {
    const { home, tmuxSocket } = this.#options;
    return {
      daemonPid: process.pid,
      ...(tmuxSocket ? { tmuxSocket } : {}),
      workspace: home.workspace,
      environments: preparedEnvironments(home),
    };
  }
}

/** Each prepared environment's checkout, read from the daemon's prepared states (environment-manager). */
function preparedEnvironments(home: OpenViberHome): Array<{ environmentId: string; root: string }> {
  const dir = join(home.daemon, 'environments');
  const states = new PreparedStates(dir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const roots: Array<{ environmentId: string; root: string }> = [];
  for (const name of names) {
    try {
      const state = states.read(name.slice(0, -'.json'.length));
      if (state) roots.push({ environmentId: state.environmentId, root: state.root });
    } catch {
      // a file that is not a binding's state
    }
  }
  return roots;
}

function unavailableReason(): string {
  return `listing ports needs Linux's /proc; this viber runs on ${process.platform}`;
}
