import type { UIMessageChunk } from 'ai';
import type { ConfigFile, resolveModelSettings } from '../core/config.ts';
import type { OpenViberHome } from '../core/home.ts';
import type { Logger } from '../core/logger.ts';
import type { Redactor } from '../core/redaction.ts';
import type {
  AutonomyMode,
  ChatMessage,
  InjectionMode,
  TaskOptions,
  TaskProgressEvent,
  TaskResult,
  TokenUsage,
} from '../protocol/index.ts';
import type { SandboxCapabilities } from './command-sandbox.ts';
import type { DelegationPort } from './delegation.ts';
import type { EnvironmentMcpServers, McpToolSource } from './mcp/mcp-tool-source.ts';

/**
 * The contract between whoever runs tasks (the daemon, `viber run`) and the agent.
 * The agent knows nothing of WebSockets or gateways: it takes a goal, emits AI SDK UI message
 * stream chunks and progress events, accepts follow-ups, approvals and stop, and settles `done`.
 */
export interface AgentTaskRequest {
  taskId: string;
  goal: string;
  /** Prior conversation, oldest first. */
  messages?: ChatMessage[];
  options: TaskOptions;
  /** Set when a restarted daemon picks the task up where its last checkpoint left it. */
  resume?: AgentResume;
}

/**
 * Where a task stands after a completed step, an applied answer or follow-up: enough to continue
 * the conversation in another process. Plain JSON (the daemon keeps it on disk).
 */
export interface AgentCheckpoint {
  /** The model conversation so far (AI SDK ModelMessages). */
  messages: unknown[];
  /** Tool approval requests still waiting for the operator. */
  approvals: Array<{ approvalId: string; toolCallId: string; toolName: string }>;
  /** The task's usage so far (budgets). */
  usage: unknown;
  /** The evidence recorded so far (the report's claims cite it). */
  evidence: unknown[];
  /** The report tool's last statement. */
  statement?: unknown;
  lastText: string;
}

/** What a restarted daemon knows of a task it picks up again. */
export interface AgentResume {
  /** The last checkpoint; without one the task starts its conversation again from the goal. */
  checkpoint?: AgentCheckpoint;
  /** True when the stream's last UI message is still open (no `finish` went out). */
  messageOpen: boolean;
  /** Tool calls that had started and have no result: they are not run again. */
  interrupted: Array<{ toolCallId: string; toolName: string; input: unknown }>;
  /** Follow-ups received and not yet taken into the conversation, in arrival order. */
  followUps?: AgentFollowUp[];
}

export interface AgentTaskCallbacks {
  /** Every UI message stream chunk, in order, exactly as the AI SDK produced it. */
  onChunk(chunk: UIMessageChunk): void;
  /** Facts about the task that are not part of the conversation (status, usage, applied follow-ups). */
  onProgress(event: TaskProgressEvent): void;
  /** Where the task stands, after each completed step and each applied answer or follow-up. */
  onCheckpoint?(checkpoint: AgentCheckpoint): void;
}

export type AgentTaskOutcome =
  | { status: 'completed'; result: TaskResult }
  | { status: 'error'; error: string }
  | { status: 'stopped'; reason: string };

export interface AgentFollowUp {
  id: string;
  text: string;
  injectionMode: InjectionMode;
  /**
   * A delegated child's usage, when the message is that child's end (docs/delegation.md): counted
   * against the task as the message is taken into the conversation, in the same checkpoint, so a
   * restart neither loses nor repeats it.
   */
  childUsage?: TokenUsage;
}

export interface AgentTask {
  readonly taskId: string;
  /** A follow-up message from the operator, applied per its injection mode. */
  send(message: AgentFollowUp): void;
  /** The operator's answer to a tool approval request; false when no such request is waiting. */
  answerApproval(approvalId: string, approved: boolean, reason?: string): boolean;
  /** Ends the model call and every process the task started; `done` settles as stopped. */
  stop(reason: string): void;
  /**
   * Ends the task for now, to be resumed by another process from its last checkpoint: no new step
   * starts, the current one ends, a waiting approval stops being waited for here, and `done`
   * settles as stopped with SUSPENDED_REASON without a report or a final `finish`.
   */
  suspend?(): void;
  /** Settles once, when the task ends; never rejects. */
  readonly done: Promise<AgentTaskOutcome>;
}

/** The reason of the outcome of a suspended task (AgentTask.suspend): it is not over. */
export const SUSPENDED_REASON = 'suspended for a restart';

/**
 * How whoever runs tasks starts one: the daemon takes it as an option (the CLI passes the agent's
 * `startAgentTask`, tests a hand-driven stand-in). Returns at once; `done` settles when the task ends.
 */
export type StartAgentTask = (
  request: AgentTaskRequest,
  callbacks: AgentTaskCallbacks,
  environment: AgentEnvironment,
) => AgentTask;

/** What the agent may use from the machine it runs on. */
export interface AgentEnvironment {
  home: OpenViberHome;
  config: ConfigFile;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Set for a task in an environment (environments document, section 7). */
  execution?: TaskExecution;
  /** What the machine can enforce around commands; without it commands run plain (tests). */
  sandbox?: SandboxCapabilities;
  /** Credential values this process holds that no file or variable shows (a daemon's token). */
  knownSecrets?: Record<string, string>;
  /** Keeps the MCP servers whose tools join the task's (docs/mcp.md); without it, no MCP tools. */
  mcp?: McpToolSource;
  /**
   * The model and default mode from every layer the caller knows (a daemon: its variables, the
   * gateway's settings, config.json; docs/settings.md). Without it: config and env only.
   */
  modelSource?: ModelSource;
  /** How the task delegates to child tasks (a daemon's; docs/delegation.md); without it, no delegate tool. */
  delegation?: DelegationPort;
}

/** Resolves a task's model (its own choice, else the default) and gives the default mode. */
export interface ModelSource {
  resolve(requested?: string): ReturnType<typeof resolveModelSettings>;
  mode: AutonomyMode;
}

/** How a task in an environment runs its tools. Secret values reach processes, never the model. */
export interface TaskExecution {
  /** Variables and secrets added to the environment of every process a tool starts. */
  env: Record<string, string>;
  /** Blanks secret values from every tool output and data part before the model or anyone sees it. */
  redactor: Redactor;
  /** Set when the environment names a container image and this viber can run it. */
  container?: { image: string; mountRoot: string; variableNames: string[] };
  /** False: commands run without network and the web tools are left out. */
  networkAccess: boolean;
  /** The environment's MCP servers, secrets resolved on the viber. */
  mcpServers?: EnvironmentMcpServers;
}
