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
  /** Where truncated outputs and saved artifacts are written (under workspace/<taskId>/artifacts). */
  artifactsDir: string;
  /** The memory folder (rules and habits) of the OpenViber home. */
  memoryDir: string;
  /** The task's plan file (workspace/<taskId>/plan.json). */
  planPath: string;
  /** Environment of the processes tools start. */
  env: NodeJS.ProcessEnv;
  /** Prefix the shell tool runs every command under (a network namespace, a container). */
  commandWrapper?: string[];
  /** Aborted when the task stops: tools end their work and kill their processes. */
  signal: AbortSignal;
  /** Streams a data part to everyone watching the task. */
  writeData(part: DataPart): void;
  /** Records evidence for the final report. */
  recordEvidence(evidence: Evidence): void;
  logger: Logger;
}
