import type { Logger } from '../../core/logger.ts';

import type { Evidence } from '../../protocol/index.ts';

export type { Evidence };

/** A custom UI message stream data part (`data-plan`, `data-artifact`, ...). */
export interface DataPart {
  type: `data-${string}`;
  id?: string;
  data: unknown;
}

/**
 * Everything a tool may use. The agent builds one per task; tools never reach for globals, so
 * they run the same under the daemon, `viber run` and tests.
 */
export interface ToolContext {
  taskId: string;
  /** Working directory for relative paths and commands. */
  cwd: string;
  /** Absolute roots tools may read and write; a path outside them is refused with a clear error. */
  allowedRoots: string[];
  /** Folders the file tools may read but never change (the task's skills). */
  readOnlyRoots?: string[];
  /** Where truncated outputs and saved artifacts are written (under workspace/<taskId>/artifacts). */
  artifactsDir: string;
  /** The memory folder (rules and habits) of the OpenViber home. */
  memoryDir: string;
  /** The task's plan file (workspace/<taskId>/plan.json). */
  planPath: string;
  /** Environment of the processes tools start: an allow-list, never the daemon's credentials. */
  env: NodeJS.ProcessEnv;
  /** Variables tools read for their own settings (web_search's provider and key); never passed
   * to a process. */
  settingsEnv: NodeJS.ProcessEnv;
  /** Folders no tool may touch (OpenViber's credentials): file tools refuse them, commands do not
   * see them where the sandbox can hide them. */
  hiddenPaths: string[];
  /** The prefix of the next command (bubblewrap, a network namespace, a container), decided per
   * command because the processes it hides may come and go. */
  commandWrapper?: () => string[] | undefined;
  /** False in an environment with network access off: the browser tools then reach no host. */
  networkAccess?: boolean;
  /** The daemon's tmux socket, where the task's own session shows its commands live. */
  terminalSocket?: string;
  /** Aborted when the task stops: tools end their work and kill their processes. */
  signal: AbortSignal;
  /** Streams a data part to everyone watching the task. */
  writeData(part: DataPart): void;
  /** Records evidence for the final report. */
  recordEvidence(evidence: Evidence): void;
  logger: Logger;
}
