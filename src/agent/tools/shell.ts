import { z } from 'zod';
import { defineTool, inputText, type ToolRun } from './define-tool.ts';
import { artifactPathFor } from './output-bound.ts';
import { OutputSpool } from './output-spool.ts';
import { resolveSafePath } from './path-guard.ts';
import { groupAlive, killGroup } from './process-group.ts';
import { type CommandOutcome, type RunCommandOptions, runCommand } from './run-command.ts';
import { runInTmux } from './run-in-tmux.ts';
import { statOrThrow } from './text-file.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Run a command with bash -c on the machine this task runs on, and return its exit code and output.
- The command runs in the task's working directory unless you pass cwd (a directory inside the workspace).
- stdout and stderr are returned together, in the order they were written. stdin is closed: commands must not wait for input (use flags such as -y, --yes, --non-interactive).
- timeoutSeconds defaults to ${TOOL_LIMITS.shellDefaultTimeoutSeconds} (at most ${TOOL_LIMITS.shellMaxTimeoutSeconds}); on timeout the command and every process it started are killed.
- Long output is cut in the middle; the full output is saved to a file whose path the result names.
- Prefer read_file, write_file, edit_file, list_directory, glob and grep for files; use this tool to build, test, run programs and inspect the system.
- To leave something running in the background, redirect its output: \`server > server.log 2>&1 &\`. Background processes are killed when the task stops.`;

export const ShellInputSchema = z.object({
  command: z.string().trim().min(1, 'command must not be empty').describe('The bash command line to run'),
  cwd: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Directory to run in, relative to the task's working directory (default: the working directory)",
    ),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(TOOL_LIMITS.shellMaxTimeoutSeconds)
    .optional()
    .describe(`Seconds before the command is killed (default ${TOOL_LIMITS.shellDefaultTimeoutSeconds})`),
});
export type ShellInput = z.infer<typeof ShellInputSchema>;

export interface ShellResult {
  exitCode: number | null;
  /** The signal that ended bash, e.g. SIGTERM after a timeout. */
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  output: string;
  note?: string;
}

export const shellTool = defineTool<typeof ShellInputSchema, ShellResult>({
  name: 'shell',
  kind: 'execute',
  summary: 'Run a bash command (timeout, process group killed on stop)',
  description: DESCRIPTION,
  inputSchema: ShellInputSchema,
  truncate: 'head-tail',
  describe: (input) => {
    const cwd = inputText(input, 'cwd');
    return `$ ${inputText(input, 'command')}${cwd ? ` (in ${cwd})` : ''}`;
  },
  isOk: (output) => output.exitCode === 0 && !output.timedOut && !output.aborted,
  excerpt: (output) => `exit ${output.exitCode ?? output.signal}\n${output.output.slice(-400)}`,
  execute: runShell,
});

async function runShell(input: ShellInput, run: ToolRun): Promise<ShellResult> {
  const cwd = input.cwd ? await resolveDirectory(run, input.cwd) : run.context.cwd;
  const timeoutSeconds = input.timeoutSeconds ?? TOOL_LIMITS.shellDefaultTimeoutSeconds;
  const keepChars = Math.floor((TOOL_LIMITS.maxOutputChars - 400) / 2);
  const spool = new OutputSpool({
    memoryBytes: TOOL_LIMITS.shellMemoryBytes,
    spillPath: artifactPathFor(run.bound, 'output'),
    keepChars,
  });
  const commandOptions: RunCommandOptions = {
    command: input.command,
    cwd,
    env: run.context.env,
    ...wrapperOf(run),
    timeoutMs: timeoutSeconds * 1000,
    signal: run.signal,
    spool,
    killGraceMs: TOOL_LIMITS.shellKillGraceMs,
    pipeGraceMs: TOOL_LIMITS.shellPipeGraceMs,
  };
  const outcome = (await runInTaskTerminal(run, commandOptions)) ?? (await runCommand(commandOptions));
  const { text } = await spool.finish();
  const result: ShellResult = {
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    aborted: outcome.aborted,
    output: text,
  };
  if (outcome.timedOut) {
    result.note = `The command timed out after ${timeoutSeconds} s; it and every process it started were killed.`;
  } else if (outcome.aborted) {
    result.note = 'The task was stopped; the command and every process it started were killed.';
  } else if (outcome.pipesDetached && groupAlive(outcome.pid)) {
    killWhenTaskStops(run, outcome.pid);
    result.note =
      'bash exited but processes it started in the background still hold its output, so reading stopped. ' +
      'They keep running until the task stops; redirect background output to a file (cmd > log 2>&1 &).';
  }
  return result;
}

/**
 * In the task's tmux session when the daemon provides one (operators watch it live); undefined when
 * there is none or its pane is busy, and the command then runs as a plain process.
 */
async function runInTaskTerminal(
  run: ToolRun,
  options: RunCommandOptions,
): Promise<CommandOutcome | undefined> {
  const socketPath = run.context.terminalSocket;
  if (!socketPath) return undefined;
  try {
    return await runInTmux({ ...options, socketPath, taskId: run.context.taskId });
  } catch (error) {
    run.context.logger.warn(
      { err: error },
      'the task terminal is unavailable; running the command without tmux',
    );
    return undefined;
  }
}

function wrapperOf(run: ToolRun): { wrapper?: string[] } {
  const wrapper = run.context.commandWrapper?.();
  return wrapper ? { wrapper } : {};
}

async function resolveDirectory(run: ToolRun, path: string): Promise<string> {
  const { real } = await resolveSafePath(run.context, path);
  const info = await statOrThrow(real, path);
  if (!info.isDirectory()) throw new ToolError('not_a_directory', `cwd ${path} is not a directory`);
  return real;
}

/** Background processes outlive the call but not the task: stop kills their group. */
function killWhenTaskStops(run: ToolRun, pgid: number): void {
  run.context.signal.addEventListener(
    'abort',
    () => {
      if (groupAlive(pgid)) killGroup(pgid, TOOL_LIMITS.shellKillGraceMs).catch(() => undefined);
    },
    { once: true },
  );
}
