import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolSet } from 'ai';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { DataPart, Evidence, ToolContext } from '../../../src/agent/tools/tool-context.ts';
import { makeTempDir, removeTempDir } from '../temp-dirs.ts';

/** A real ToolContext over a fresh temporary folder, with what tools recorded and streamed. */
export interface TestToolContext {
  context: ToolContext;
  /** Parent of everything below; `outside` is a sibling of the workspace, outside the roots. */
  root: string;
  workspace: string;
  outside: string;
  evidence: Evidence[];
  data: DataPart[];
  /** Aborting it is a task stop. */
  controller: AbortController;
  cleanup(): Promise<void>;
}

/** The context the tool tests (and the daemon's task shell test) run a tool in. */
export async function createTestToolContext(env: NodeJS.ProcessEnv = {}): Promise<TestToolContext> {
  const root = makeTempDir('tools');
  const workspace = join(root, 'workspace');
  const outside = join(root, 'outside');
  await mkdir(workspace, { recursive: true });
  await mkdir(outside, { recursive: true });
  const evidence: Evidence[] = [];
  const data: DataPart[] = [];
  const controller = new AbortController();
  const context: ToolContext = {
    taskId: 'task_test',
    cwd: workspace,
    allowedRoots: [workspace],
    artifactsDir: join(root, 'task', 'artifacts'),
    memoryDir: join(root, 'memory'),
    planPath: join(root, 'task', 'plan.json'),
    env: { PATH: process.env.PATH, HOME: root, ...env },
    settingsEnv: env,
    hiddenPaths: [],
    signal: controller.signal,
    writeData: (part) => data.push(part),
    recordEvidence: (item) => evidence.push(item),
    logger: pino({ level: 'silent' }),
  };
  return {
    context,
    root,
    workspace,
    outside,
    evidence,
    data,
    controller,
    cleanup: async () => removeTempDir(root),
  };
}

/**
 * The setup of a tool test: a fresh context before each test of the calling `describe`, removed
 * after it. The handle outlives any one test, so each field reads the current test's context.
 */
export function useToolContext(env: NodeJS.ProcessEnv = {}): Omit<TestToolContext, 'cleanup'> {
  let current: TestToolContext | undefined;
  beforeEach(async () => {
    current = await createTestToolContext(env);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  const handle = {} as Omit<TestToolContext, 'cleanup'>;
  for (const key of ['context', 'root', 'workspace', 'outside', 'evidence', 'data', 'controller'] as const) {
    Object.defineProperty(handle, key, {
      enumerable: true,
      get: () => {
        if (!current) throw new Error('the tool context exists only while a test runs');
        return current[key];
      },
    });
  }
  return handle;
}

let callCount = 0;

/** What a tool returns: its result, or `{ error }`. */
export type ToolOutput<T = Record<string, unknown>> = Partial<T> & { error?: string };

/** Calls a tool the way the AI SDK does: through its `execute` with execution options. */
export async function callTool<T = Record<string, unknown>>(
  tools: ToolSet,
  name: string,
  input: unknown,
  toolCallId?: string,
): Promise<ToolOutput<T>> {
  const tool = tools[name];
  if (!tool?.execute) throw new Error(`no executable tool ${name}`);
  callCount += 1;
  return tool.execute(input as never, {
    toolCallId: toolCallId ?? `call_${callCount}`,
    messages: [],
    context: {},
  });
}
