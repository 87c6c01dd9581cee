import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolSet } from 'ai';
import pino from 'pino';
import type { DataPart, Evidence, ToolContext } from './tool-context.ts';

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

/** For tests (this and other folders): not part of the tool layer's runtime surface. */
export async function createTestToolContext(env: NodeJS.ProcessEnv = {}): Promise<TestToolContext> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'openviber-tools-')));
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
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
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
