import type { ToolSet, UIMessageChunk } from 'ai';
import type { MockLanguageModelV4 } from 'ai/test';
import pino from 'pino';
import type {
  AgentEnvironment,
  AgentTask,
  AgentTaskCallbacks,
  AgentTaskRequest,
} from '../../../src/agent/agent-task.ts';
import type { ToolCatalog } from '../../../src/agent/autonomy-policy.ts';
import { type AgentDependencies, createAgentTask } from '../../../src/agent/create-agent-task.ts';
import type { ToolContext } from '../../../src/agent/tools/tool-context.ts';
import type { ConfigFile } from '../../../src/core/config.ts';
import type { OpenViberHome } from '../../../src/core/home.ts';
import type { TaskProgressEvent } from '../../../src/protocol/index.ts';
import { type TempHomeOfTest, useTempHome } from './temp-home.ts';

/**
 * The agent's tests run its real loop on a scripted model (scripted-model.ts) in a fresh home per
 * test; a task started here records every chunk and progress event it sends.
 */

export interface RecordedTask {
  task: AgentTask;
  chunks: UIMessageChunk[];
  progress: TaskProgressEvent[];
}

export interface TestTaskOptions {
  home: OpenViberHome;
  model: MockLanguageModelV4;
  tools?: (context: ToolContext) => ToolSet;
  catalog?: ToolCatalog;
  config?: ConfigFile;
  request?: Partial<AgentTaskRequest>;
  dependencies?: Partial<AgentDependencies>;
  /** Receives the agent's checkpoints (a resumable task). */
  onCheckpoint?: AgentTaskCallbacks['onCheckpoint'];
  /** More of what the agent may use (an MCP tool source, a task execution). */
  environment?: Partial<AgentEnvironment>;
}

export const silentLogger = pino({ level: 'silent' });

export function startTestTask(options: TestTaskOptions): RecordedTask {
  const chunks: UIMessageChunk[] = [];
  const progress: TaskProgressEvent[] = [];
  const task = createAgentTask(
    { taskId: 'task_test-1', goal: 'do the thing', options: {}, ...options.request },
    {
      onChunk: (chunk) => chunks.push(chunk),
      onProgress: (event) => progress.push(event),
      ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
    },
    {
      home: options.home,
      config: options.config ?? {},
      env: { OPENVIBER_MODEL: 'openai/test-model', OPENAI_API_KEY: 'sk-test', PATH: process.env.PATH },
      logger: silentLogger,
      ...options.environment,
    },
    {
      createModel: () => options.model,
      createTools: options.tools ?? (() => ({})),
      catalog: options.catalog ?? {},
      describeToolCall: (name, input) => `${name} ${JSON.stringify(input)}`,
      maxRetries: 0,
      ...options.dependencies,
    },
  );
  return { task, chunks, progress };
}

export interface AgentTest extends TempHomeOfTest {
  /** Starts a task on the current test's home. */
  start(options: Omit<TestTaskOptions, 'home'>): RecordedTask;
}

/** The setup of an agent test file: a new home for each test, and tasks started on it. */
export function useAgentTest(): AgentTest {
  const temp = useTempHome('agent');
  return {
    get home() {
      return temp.home;
    },
    start: (options) => startTestTask({ ...options, home: temp.home }),
  };
}

export function chunkTypes(chunks: UIMessageChunk[]): string[] {
  return chunks.map((chunk) => chunk.type);
}
