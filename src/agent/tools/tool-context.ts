import type { Logger } from '../../core/logger.ts';

/** A proof that a claim in the final report can link to (architecture document, section 6). */
export type Evidence =
  | {
      kind: 'tool-call';
      toolCallId: string;
      tool: string;
      /** Short human-readable summary of the input, e.g. the command line. */
      input: string;
      outputExcerpt: string;
      ok: boolean;
    }
  | { kind: 'file'; toolCallId: string; path: string; sha256: string; bytes: number }
  | { kind: 'url'; toolCallId: string; url: string; status: number };

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
  /** Aborted when the task stops: tools end their work and kill their processes. */
  signal: AbortSignal;
  /** Streams a data part to everyone watching the task. */
  writeData(part: DataPart): void;
  /** Records evidence for the final report. */
  recordEvidence(evidence: Evidence): void;
  logger: Logger;
}
