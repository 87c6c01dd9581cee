import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * What this machine can enforce around the commands the agent (and an environment's setup script)
 * runs. Probed once per process; docs/architecture.md (Security) says what each one buys.
 */
export interface SandboxCapabilities {
  /** bubblewrap: a mount namespace that hides OpenViber's own credential files from commands. */
  fileIsolation: { available: true; program: string } | { available: false; reason: string };
  /** Prefix that runs a command in a new network namespace (no network but its own loopback). */
  networkIsolation: { available: true; wrapper: string[] } | { available: false; reason: string };
  containerRuntime: { available: true; program: 'docker' | 'podman' } | { available: false; reason: string };
}

const PROBE_TIMEOUT_MS = 8000;

/**
 * Capabilities root keeps inside the sandbox would let a command undo it: SYS_ADMIN unmounts the
 * tmpfs over a hidden folder (or enters another mount namespace), SYS_PTRACE reads the daemon's
 * memory, DAC_READ_SEARCH opens files by handle past any mount, RAWIO and MKNOD read the disk raw.
 * Everything else (installing packages, binding ports) keeps working for a root viber.
 */
const DROPPED_ROOT_CAPABILITIES = [
  'CAP_SYS_ADMIN',
  'CAP_SYS_PTRACE',
  'CAP_DAC_READ_SEARCH',
  'CAP_SYS_RAWIO',
  'CAP_MKNOD',
  'CAP_SYS_MODULE',
];

function quickRun(program: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}`.trim() || (error?.message ?? '') });
    });
  });
}

const isRoot = (): boolean => process.getuid?.() === 0;

async function probeFileIsolation(): Promise<SandboxCapabilities['fileIsolation']> {
  const [program, ...args] = [...bwrapBase([], []), 'bash', '-c', 'true'];
  const result = await quickRun(program!, args);
  if (result.ok) return { available: true, program: 'bwrap' };
  const missing = /ENOENT/.test(result.output);
  return {
    available: false,
    reason: missing
      ? 'bubblewrap (bwrap) is not installed'
      : `bwrap cannot create a sandbox here: ${result.output.split('\n')[0]}`,
  };
}

/**
 * Tries the ways to take the network away from a command: `unshare -n` needs CAP_SYS_ADMIN
 * (root); `unshare -rn` also works for an ordinary user where user namespaces are allowed.
 */
async function probeNetworkIsolation(): Promise<SandboxCapabilities['networkIsolation']> {
  const candidates = isRoot()
    ? [
        ['unshare', '-n'],
        ['unshare', '-rn'],
      ]
    : [['unshare', '-rn']];
  const failures: string[] = [];
  for (const wrapper of candidates) {
    const result = await quickRun(wrapper[0]!, [...wrapper.slice(1), 'bash', '-c', 'true']);
    if (result.ok) return { available: true, wrapper };
    failures.push(`${wrapper.join(' ')}: ${result.output.split('\n')[0]}`);
  }
  return { available: false, reason: failures.join('; ') };
}

async function probeContainerRuntime(): Promise<SandboxCapabilities['containerRuntime']> {
  const failures: string[] = [];
  for (const program of ['docker', 'podman'] as const) {
    const result = await quickRun(program, ['info', '--format', '{{.ServerVersion}}']);
    if (result.ok) return { available: true, program };
    failures.push(`${program}: ${result.output.split('\n').slice(-1)[0]?.slice(0, 200)}`);
  }
  return { available: false, reason: failures.join('; ') };
}

let cached: Promise<SandboxCapabilities> | undefined;
let cachedFileIsolation: Promise<SandboxCapabilities['fileIsolation']> | undefined;

/** Probed once per process (a container runtime or bwrap installed later needs a restart). */
export function sandboxCapabilities(): Promise<SandboxCapabilities> {
  cached ??= Promise.all([fileIsolationCapability(), probeNetworkIsolation(), probeContainerRuntime()]).then(
    ([fileIsolation, networkIsolation, containerRuntime]) => ({
      fileIsolation,
      networkIsolation,
      containerRuntime,
    }),
  );
  return cached;
}

/** The one probe `viber status` needs: it never waits on a container runtime's answer. */
export function fileIsolationCapability(): Promise<SandboxCapabilities['fileIsolation']> {
  cachedFileIsolation ??= probeFileIsolation();
  return cachedFileIsolation;
}

/** What a command must not see, and how it may reach the world. */
export interface SandboxPlan {
  /** Folders hidden behind an empty tmpfs (OpenViber's credential folders). */
  hiddenPaths: string[];
  /** Processes whose /proc entry is hidden: their environment and command line hold credentials. */
  hiddenPids: number[];
  networkAccess: boolean;
  /** Set when the environment names a container image. */
  container?: { image: string; mountRoot: string; cwd: string; variableNames: string[] };
}

/**
 * The prefix a command runs under. In a container when an image is set and a runtime answers
 * (only the working tree is mounted, variables passed by name so no value shows in a process
 * list); otherwise under bubblewrap, which hides the credential folders and, when network access
 * is off, the network; otherwise `unshare -n` when only the network must go. Undefined: plain.
 */
export function commandWrapper(capabilities: SandboxCapabilities, plan: SandboxPlan): string[] | undefined {
  const { container } = plan;
  if (container && capabilities.containerRuntime.available) {
    return [
      capabilities.containerRuntime.program,
      'run',
      '--rm',
      '--network',
      plan.networkAccess ? 'bridge' : 'none',
      '-v',
      `${container.mountRoot}:${container.mountRoot}`,
      '-w',
      container.cwd,
      ...container.variableNames.flatMap((name) => ['-e', name]),
      container.image,
    ];
  }
  if (capabilities.fileIsolation.available) {
    const hidden = plan.hiddenPaths.filter((path) => existsSync(path));
    const pids = plan.hiddenPids.filter((pid) => existsSync(`/proc/${pid}`));
    return [...bwrapBase(hidden, pids), ...(plan.networkAccess ? [] : ['--unshare-net']), '--'];
  }
  if (!plan.networkAccess && capabilities.networkIsolation.available)
    return capabilities.networkIsolation.wrapper;
  return undefined;
}

/**
 * The whole file system as it is (devices through a fresh minimal /dev, so no raw disk), with an
 * empty tmpfs over each hidden folder and hidden process entry. No new user or pid namespace:
 * background processes a command starts live on after it, as the shell tool promises.
 */
function bwrapBase(hiddenPaths: string[], hiddenPids: number[]): string[] {
  return [
    'bwrap',
    '--dev-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    ...hiddenPaths.flatMap((path) => ['--tmpfs', path]),
    ...hiddenPids.flatMap((pid) => ['--tmpfs', `/proc/${pid}`]),
    ...(isRoot() ? DROPPED_ROOT_CAPABILITIES.flatMap((cap) => ['--cap-drop', cap]) : []),
  ];
}

/**
 * This process and its ancestors (not init): under `viber up` the gateway is the daemon's parent,
 * and every one of them was started with the environment the user exported (keys included).
 */
export function ownProcessLineage(pid = process.pid): number[] {
  const lineage: number[] = [];
  let current = pid;
  while (current > 1 && lineage.length < 32) {
    lineage.push(current);
    current = parentOf(current);
  }
  return lineage;
}

function parentOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** What a viber tells config:push and `viber status` about hiding its credentials. */
export function describeFileIsolation(isolation: SandboxCapabilities['fileIsolation']): {
  ok: boolean;
  message: string;
} {
  if (isolation.available)
    return {
      ok: true,
      message:
        "commands run under bubblewrap: OpenViber's credential files and process environments are hidden from them",
    };
  return {
    ok: false,
    message: `commands the agent runs CAN read OpenViber's credential files (gateway database and keys, daemon token): ${isolation.reason}; install bubblewrap (apt-get install bubblewrap) to hide them`,
  };
}

/** Whether this machine can run a command without network: bubblewrap or unshare. */
export function networkIsolationProblem(capabilities: SandboxCapabilities): string | undefined {
  if (capabilities.fileIsolation.available || capabilities.networkIsolation.available) return undefined;
  return `${capabilities.fileIsolation.reason}; ${capabilities.networkIsolation.reason}`;
}
