import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The OpenViber home (`OPENVIBER_HOME`, default `~/.openviber`), laid out as the architecture
 * document's storage ownership section says. Every command honours it.
 */
export interface OpenViberHome {
  root: string;
  /** Identity, persona, account bindings, budget policies, config.json. */
  config: string;
  /** Active plans, progress and artifacts. */
  workspace: string;
  /** Rules and habits. */
  memory: string;
  /** `agents/{id}/sessions/*.jsonl`: durable run logs. */
  agents: string;
  /** The gateway's embedded store and keys. */
  gateway: string;
  /** The daemon's own state (viber id, token) when it was onboarded. */
  daemon: string;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): OpenViberHome {
  const root = resolve(env.OPENVIBER_HOME?.trim() || join(homedir(), '.openviber'));
  return {
    root,
    config: join(root, 'config'),
    workspace: join(root, 'workspace'),
    memory: join(root, 'memory'),
    agents: join(root, 'agents'),
    gateway: join(root, 'gateway'),
    daemon: join(root, 'daemon'),
  };
}

/**
 * Creates a home folder (mode 0700: it holds tokens, keys, logs and workspaces) and returns its
 * path. A folder an older version left open to others (0755) is closed again; one this user does
 * not own is left as it is.
 */
export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
  } catch {
    // Not ours to change (EPERM): it still works, as before.
  }
  return path;
}

export function sessionsDir(home: OpenViberHome, agentId = 'default'): string {
  return join(home.agents, agentId, 'sessions');
}

/** The viber's own Agent Skills (`viber skill add` installs here), one folder per skill. */
export function skillsDir(home: OpenViberHome): string {
  return join(home.root, 'skills');
}
