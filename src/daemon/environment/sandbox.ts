import { execFile } from 'node:child_process';

/** What this machine can enforce for an environment's code execution settings. */
export interface SandboxCapabilities {
  /** Prefix that runs a command in a new network namespace (no network but its own loopback). */
  networkIsolation: { available: true; wrapper: string[] } | { available: false; reason: string };
  containerRuntime: { available: true; program: 'docker' | 'podman' } | { available: false; reason: string };
}

const PROBE_TIMEOUT_MS = 8000;

function quickRun(program: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}`.trim() || (error?.message ?? '') });
    });
  });
}

/**
 * Tries the ways to take the network away from a command: `unshare -n` needs CAP_SYS_ADMIN
 * (root); `unshare -rn` also works for an ordinary user where user namespaces are allowed.
 */
async function probeNetworkIsolation(): Promise<SandboxCapabilities['networkIsolation']> {
  const candidates =
    process.getuid?.() === 0
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

/** Probed once per daemon (a container runtime that starts later needs a daemon restart). */
export function sandboxCapabilities(): Promise<SandboxCapabilities> {
  cached ??= Promise.all([probeNetworkIsolation(), probeContainerRuntime()]).then(
    ([networkIsolation, containerRuntime]) => ({ networkIsolation, containerRuntime }),
  );
  return cached;
}

/**
 * The prefix the agent's commands run under: in the container when an image is set and a runtime
 * is present (the working directory mounted at the same path, variables passed by name so no
 * value shows in a process list), else in a new network namespace when network access is off.
 */
export function commandWrapper(input: {
  capabilities: SandboxCapabilities;
  containerImage: string | undefined;
  networkAccess: boolean;
  mountRoot: string;
  cwd: string;
  variableNames: string[];
}): string[] | undefined {
  const { capabilities } = input;
  if (input.containerImage && capabilities.containerRuntime.available) {
    return [
      capabilities.containerRuntime.program,
      'run',
      '--rm',
      '--network',
      input.networkAccess ? 'bridge' : 'none',
      '-v',
      `${input.mountRoot}:${input.mountRoot}`,
      '-w',
      input.cwd,
      ...input.variableNames.flatMap((name) => ['-e', name]),
      input.containerImage,
    ];
  }
  if (!input.networkAccess && capabilities.networkIsolation.available)
    return capabilities.networkIsolation.wrapper;
  return undefined;
}
