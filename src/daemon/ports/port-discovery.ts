import { basename, relative, sep } from 'node:path';
import type { ListedPort, PortOwnership } from '../../protocol/index.ts';
import { type ListeningSocket, readListeningSockets } from './proc-net.ts';
import { ancestorsOf, type ProcessInfo, processInfo, socketOwners } from './proc-processes.ts';

/** Where the viber's work lives, for telling its ports from the rest of the machine's. */
export interface WorkPlaces {
  /** The daemon's pid: its descendants are the tasks' commands. Its own sockets are never listed. */
  daemonPid: number;
  /** The daemon's tmux server socket: processes under that server are the terminals' and task sessions'. */
  tmuxSocket?: string;
  /** `<home>/workspace`: tasks' folders (`<workspace>/<taskId>/...`) and cloned environments. */
  workspace: string;
  /** Each prepared environment's checkout on this viber. */
  environments: ReadonlyArray<{ environmentId: string; root: string }>;
}

/** A listening port of the viber's work, before it is probed. */
export type DiscoveredPort = Omit<ListedPort, 'answers' | 'httpStatus'>;

const MAX_COMMAND_CHARS = 1000;

/**
 * The listening TCP ports that belong to the viber's work (docs/ports.md, "Which ports are listed"):
 * held by a descendant of the daemon (`daemon`: a task's command run without tmux, an MCP server),
 * of its tmux server (`tmux`: tasks' commands run in tmux sessions, and operators' terminals), or by a process
 * whose working directory is in an environment's checkout (`environment`) or in the viber's
 * workspace (`workspace`). Anything else on the machine (the user's own servers, databases,
 * other users' processes) is not listed and cannot be opened.
 */
export async function discoverPorts(places: WorkPlaces, procRoot = '/proc'): Promise<DiscoveredPort[]> {
  const sockets = await readListeningSockets(procRoot);
  const owners = await socketOwners(new Set(sockets.map((socket) => socket.inode)), procRoot);
  const seen = new Set<string>();
  const ports: DiscoveredPort[] = [];
  for (const socket of sockets) {
    const pid = owners.get(socket.inode);
    if (pid === undefined || pid === places.daemonPid) continue;
    // One service listening on 0.0.0.0 and :: shows once.
    const key = `${pid}:${socket.port}`;
    if (seen.has(key)) continue;
    const found = await describe(socket, pid, places, procRoot);
    if (!found) continue;
    seen.add(key);
    ports.push(found);
  }
  return ports.sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
}

async function describe(
  socket: ListeningSocket,
  pid: number,
  places: WorkPlaces,
  procRoot: string,
): Promise<DiscoveredPort | undefined> {
  const info = await processInfo(pid, procRoot);
  if (!info) return undefined;
  const ownership = await ownershipOf(info, places, procRoot);
  if (!ownership) return undefined;
  const environmentId = info.cwd ? environmentOf(info.cwd, places) : undefined;
  const taskId = info.cwd ? taskOf(info.cwd, places.workspace) : undefined;
  return {
    port: socket.port,
    address: socket.address,
    pid,
    command: info.argv.join(' ').slice(0, MAX_COMMAND_CHARS) || `[pid ${pid}]`,
    cwd: info.cwd,
    ownership,
    ...(environmentId ? { environmentId } : {}),
    ...(taskId ? { taskId } : {}),
  };
}

async function ownershipOf(
  info: ProcessInfo,
  places: WorkPlaces,
  procRoot: string,
): Promise<PortOwnership | undefined> {
  const ancestors = await ancestorsOf(info.pid, procRoot);
  if (ancestors.some((ancestor) => ancestor.pid === places.daemonPid)) return 'daemon';
  const tmux = places.tmuxSocket;
  if (tmux && [info, ...ancestors].some((process) => isTmuxServerOf(process, tmux))) return 'tmux';
  if (info.cwd && environmentOf(info.cwd, places)) return 'environment';
  if (info.cwd && isInside(info.cwd, places.workspace)) return 'workspace';
  return undefined;
}

/** tmux keeps the client's argv (or titles itself `tmux: server`), with the socket's path in it. */
function isTmuxServerOf(process: ProcessInfo, socketPath: string): boolean {
  const program = basename(process.argv[0] ?? '');
  return program.startsWith('tmux') && process.argv.join(' ').includes(socketPath);
}

function environmentOf(cwd: string, places: WorkPlaces): string | undefined {
  return places.environments.find((environment) => isInside(cwd, environment.root))?.environmentId;
}

/** `<workspace>/<taskId>/...` names the task: a folder named like a task id (`task_...`). */
function taskOf(cwd: string, workspace: string): string | undefined {
  if (!isInside(cwd, workspace)) return undefined;
  const first = relative(workspace, cwd).split(sep)[0];
  return first && /^task_[A-Za-z0-9_-]{1,195}$/.test(first) ? first : undefined;
}

export function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}
