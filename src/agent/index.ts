// The agent's public surface: what the daemon, the CLI and the gateway may import.
export type {
  AgentEnvironment,
  AgentFollowUp,
  AgentTask,
  AgentTaskCallbacks,
  AgentTaskOutcome,
  AgentTaskRequest,
  StartAgentTask,
} from './agent-task.ts';
export type { AutonomyPolicy, PolicyDecision, ToolCatalog, ToolKind } from './autonomy-policy.ts';
export { createAutonomyPolicy } from './autonomy-policy.ts';
export { deniedCommandReason } from './command-safety.ts';
export type { AgentDependencies } from './create-agent-task.ts';
export { createAgentTask } from './create-agent-task.ts';
export { loadPersonaAndMemory, memoryFiles } from './memory.ts';
export { createLanguageModel, modelRefOf } from './providers.ts';
export type { ReportClaim, TaskReport } from './report.ts';
export { type AgentTaskOptions, createStartAgentTask, startAgentTask } from './start-agent-task.ts';
export type { UsageTotals } from './usage-store.ts';
export { DailyUsageStore, dailyUsagePath, utcDay } from './usage-store.ts';
