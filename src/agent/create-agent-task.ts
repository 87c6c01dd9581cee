import { arch, hostname, platform, release } from 'node:os';
import type { LanguageModel, Tool, ToolSet, UIMessageChunk } from 'ai';
import { type ModelSettings, resolveModelSettings } from '../core/config.ts';
import { combineRedactors, createRedactor, type Redactor } from '../core/redaction.ts';
import { AgentSession } from './agent-session.ts';
import type {
  AgentEnvironment,
  AgentTask,
  AgentTaskCallbacks,
  AgentTaskOutcome,
  AgentTaskRequest,
} from './agent-task.ts';
import { createAutonomyPolicy, type ToolCatalog } from './autonomy-policy.ts';
import { BudgetGuard } from './budget.ts';
import { commandWrapper, ownProcessLineage } from './command-sandbox.ts';
import { credentialFolders, knownCredentials, toolProcessEnvironment } from './credentials.ts';
import { EvidenceLog } from './evidence-log.ts';
import { mcpTaskAddition } from './mcp/mcp-task-tools.ts';
import { loadPersonaAndMemory } from './memory.ts';
import { modelRefOf } from './providers.ts';
import { createReportTool, REPORT_TOOL_NAME } from './report-tool.ts';
import { loadTaskSkills } from './skills/task-skills.ts';
import { buildSystemPrompt } from './system-prompt.ts';
import { prepareTaskPaths } from './task-workspace.ts';
import { closeTaskBrowser } from './tools/browser/index.ts';
import { createDelegateTool, DELEGATE_TOOL_NAME, DELEGATE_TOOL_SUMMARY } from './tools/delegate.ts';
import { TASK_TMUX_SOCKET_VARIABLE } from './tools/run-in-tmux.ts';
import type { ToolContext } from './tools/tool-context.ts';
import { DailyUsageStore, dailyUsagePath } from './usage-store.ts';

/** What the agent is built from; start-agent-task.ts passes the real ones, tests their own. */
export interface AgentDependencies {
  createModel(settings: ModelSettings): LanguageModel;
  createTools(context: ToolContext): ToolSet;
  catalog: ToolCatalog;
  describeToolCall(name: string, input: unknown): string;
  /** Retries of a failed model call (default 2). */
  maxRetries?: number;
  /**
   * A model stream silent this long is aborted (default 300 s before the first chunk and between
   * chunks: reasoning models think silently).
   */
  timeout?: { firstChunkMs: number; chunkMs: number };
  /** How long stop() waits for tools to end before `done` settles anyway (default 10 s). */
  stopGraceMs?: number;
  /** The skills shipped with OpenViber (BUNDLED_SKILLS_DIR), found after the home's and the project's. */
  bundledSkillsDir?: string;
  now?: () => Date;
}

const DEFAULT_MAX_STEPS = 25;

/** Validates everything up front: a task that cannot run fails at once with what to fix. */
export function createAgentTask(
  request: AgentTaskRequest,
  callbacks: AgentTaskCallbacks,
  environment: AgentEnvironment,
  dependencies: AgentDependencies,
): AgentTask {
  const logger = environment.logger.child({ taskId: request.taskId });
  const now = dependencies.now ?? (() => new Date());
  const resolved = environment.modelSource
    ? environment.modelSource.resolve(request.options.model)
    : resolveModelSettings(environment.config, environment.env, request.options.model);
  if (!resolved.ok) return failedTask(request.taskId, resolved.message);
  const { settings } = resolved;
  let model: LanguageModel;
  let paths: ReturnType<typeof prepareTaskPaths>;
  try {
    model = dependencies.createModel(settings);
    paths = prepareTaskPaths(environment.home, request.taskId, request.options.cwd);
  } catch (error) {
    return failedTask(request.taskId, (error as Error).message);
  }
  const budget = new BudgetGuard({
    budget: environment.config.budget,
    modelRef: modelRefOf(settings),
    store: new DailyUsageStore(dailyUsagePath(environment.home)),
    now,
    ...(request.options.budget ? { taskLimit: request.options.budget } : {}),
  });
  const budgetProblem = budget.configurationError();
  if (budgetProblem) return failedTask(request.taskId, budgetProblem);

  const execution = environment.execution;
  // What tool output is redacted of is read when a tool first needs it: a task that calls no
  // tool never reads the credential files.
  let redactor: Redactor | undefined;
  const outputRedactor = (): Redactor => {
    redactor ??= toolOutputRedactor(environment, settings);
    return redactor;
  };
  const redact = <T>(value: T): T => outputRedactor().redactDeep(value);
  const stopController = new AbortController();
  const evidence = new EvidenceLog();
  let session: AgentSession | undefined;
  const hiddenPaths = credentialFolders(environment.home);
  let processEnv: NodeJS.ProcessEnv | undefined;
  const commandEnv = () =>
    (processEnv ??= toolProcessEnvironment(environment.env, environment.config.agent?.env, execution?.env));
  const skills = loadTaskSkills({
    home: environment.home,
    cwd: paths.cwd,
    ...(dependencies.bundledSkillsDir ? { bundledDir: dependencies.bundledSkillsDir } : {}),
    env: commandEnv,
    logger,
  });
  const context: ToolContext = {
    taskId: request.taskId,
    cwd: paths.cwd,
    allowedRoots: paths.allowedRoots,
    readOnlyRoots: skills.directories,
    artifactsDir: paths.artifactsDir,
    memoryDir: environment.home.memory,
    planPath: paths.planPath,
    // An environment's variables and secrets reach the processes tools start, never the prompt;
    // the daemon's own variables only through the allow-list (built when a tool first starts one).
    get env() {
      return commandEnv();
    },
    settingsEnv: execution?.env ? { ...environment.env, ...execution.env } : environment.env,
    hiddenPaths,
    commandWrapper: () => wrapperFor(environment, hiddenPaths, paths.cwd),
    networkAccess: execution?.networkAccess ?? true,
    ...terminalSocketFor(environment),
    signal: stopController.signal,
    writeData: (part) => session?.writeData(redact(part) as UIMessageChunk),
    recordEvidence: (item) => evidence.add(redact(item)),
    logger,
  };
  const tools: ToolSet = {
    ...withEvidenceIds(
      redacted(
        forEnvironment({ ...dependencies.createTools(context), ...skills.createTools(context) }, execution),
        outputRedactor,
      ),
    ),
    [REPORT_TOOL_NAME]: createReportTool(evidence, (statement) => session?.acceptStatement(statement)),
  };
  const mode =
    request.options.mode ??
    environment.modelSource?.mode ??
    environment.config.agent?.mode ??
    'agent-decides';
  // A daemon's task may delegate (docs/delegation.md). The ends of children nobody waits for come
  // as follow-up messages through the daemon, which journals them first.
  const delegation = environment.delegation;
  if (delegation) {
    const delegate = createDelegateTool({ port: delegation, mode, budget });
    Object.assign(
      tools,
      withEvidenceIds(redacted({ [delegate.name]: delegate.create(context) }, outputRedactor)),
    );
  }
  const catalog = catalogFor(tools, {
    ...dependencies.catalog,
    ...skills.catalog,
    [DELEGATE_TOOL_NAME]: { kind: 'execute', summary: DELEGATE_TOOL_SUMMARY },
  });
  const system = buildSystemPrompt({
    os: `${platform()} ${release()} (${arch()})`,
    hostname: hostname(),
    cwd: paths.cwd,
    allowedRoots: paths.allowedRoots,
    shell: environment.env.SHELL,
    now: now(),
    mode,
    tools: catalog,
    memory: loadPersonaAndMemory(environment.home),
    skills: skills.listings,
  });
  logger.info({ model: modelRefOf(settings), mode, cwd: paths.cwd }, 'task starting');
  const policyFor = (known: ToolCatalog) =>
    createAutonomyPolicy({
      mode,
      catalog: known,
      describeToolCall: dependencies.describeToolCall,
      allow: environment.config.agent?.allow,
      deny: environment.config.agent?.deny,
    });
  // MCP servers' tools join before the first model call (docs/mcp.md). They run outside the
  // command sandbox, so a task whose environment has network access off gets none.
  const mcp = environment.mcp && execution?.networkAccess !== false ? environment.mcp : undefined;
  const prepare = async () => {
    const base = { tools, system, policy: policyFor(catalog), notes: [] as UIMessageChunk[] };
    if (!mcp) return base;
    try {
      const added = await mcpTaskAddition({
        source: mcp,
        ...(execution?.mcpServers ? { environment: execution.mcpServers } : {}),
        context,
        signal: stopController.signal,
      });
      return {
        tools: { ...tools, ...withEvidenceIds(redacted(added.tools, outputRedactor)) },
        system: added.prompt ? `${system}\n\n${outputRedactor().redact(added.prompt)}` : system,
        policy: policyFor({ ...catalog, ...added.catalog }),
        notes: added.notes.map((note) => redact(note)),
      };
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'MCP tools could not be added');
      return base;
    }
  };
  session = new AgentSession({
    request,
    callbacks,
    logger,
    model,
    system,
    tools,
    policy: policyFor(catalog),
    ...(mcp ? { prepare } : {}),
    budget,
    evidence,
    describeToolCall: (name, input) => safeDescribe(dependencies.describeToolCall, name, input),
    reportPath: paths.reportPath,
    maxSteps: request.options.maxSteps ?? environment.config.agent?.maxSteps ?? DEFAULT_MAX_STEPS,
    maxRetries: dependencies.maxRetries ?? 2,
    timeout: dependencies.timeout ?? { firstChunkMs: 300_000, chunkMs: 300_000 },
    stopGraceMs: dependencies.stopGraceMs ?? 10_000,
    now,
    stopController,
  });
  const task = session.start();
  // The task's browser context (docs/browser.md) closes when the task ends, however it ends.
  void task.done
    .finally(() => {
      delegation?.close();
      return closeTaskBrowser(request.taskId);
    })
    .catch(() => undefined);
  return task;
}

/** A task that ended before it began: `done` is already settled with the reason. */
export function failedTask(taskId: string, error: string): AgentTask {
  const outcome: AgentTaskOutcome = { status: 'error', error };
  return {
    taskId,
    send: () => {},
    answerApproval: () => false,
    stop: () => {},
    done: Promise.resolve(outcome),
  };
}

/** The catalog entry of every tool the task has; a tool missing from the catalog counts as execute. */
function catalogFor(tools: ToolSet, known: ToolCatalog): ToolCatalog {
  const entries = Object.entries(tools).map(([name, tool]) => {
    if (name === REPORT_TOOL_NAME)
      return [name, { kind: 'meta', summary: 'state claims linked to evidence' }];
    const description = typeof tool.description === 'string' ? tool.description : name;
    const entry = known[name] ?? { kind: 'execute', summary: firstSentence(description) };
    return [name, entry];
  });
  return Object.fromEntries(entries) as ToolCatalog;
}

function safeDescribe(describe: AgentDependencies['describeToolCall'], name: string, input: unknown): string {
  try {
    return describe(name, input);
  } catch {
    return name;
  }
}

function firstSentence(text: string): string {
  const end = text.search(/[.\n]/);
  return (end === -1 ? text : text.slice(0, end)).slice(0, 200);
}

type Execute = NonNullable<Tool['execute']>;

/** Each tool with its `execute` wrapped (a tool without one is left as it is). */
function wrapExecute(tools: ToolSet, wrap: (execute: Execute) => Execute): ToolSet {
  return Object.fromEntries(
    Object.entries(tools).map(([name, original]) => {
      const execute = original.execute;
      return [name, execute ? ({ ...original, execute: wrap(execute) } as Tool) : original];
    }),
  );
}

/** Streamed (async iterable) outputs pass through the wrappers untouched. */
const isStreamed = (output: unknown): boolean =>
  output !== null && typeof output === 'object' && Symbol.asyncIterator in output;

/**
 * Adds `evidenceId` (the tool call id) to every object a tool returns: the model cites it in its
 * report, whatever the provider shows of tool call ids.
 */
function withEvidenceIds(tools: ToolSet): ToolSet {
  return wrapExecute(tools, (execute) => async (input, options) => {
    const output: unknown = await execute(input, options);
    if (output === null || typeof output !== 'object' || Array.isArray(output) || isStreamed(output))
      return output;
    return { evidenceId: options.toolCallId, ...output };
  });
}

/** Tools that reach the network from the agent's own process: left out when network access is off. */
const NETWORK_TOOLS = ['web_fetch', 'web_search'];

/** Without network access (in an environment) the web tools are left out. */
function forEnvironment(tools: ToolSet, execution: AgentEnvironment['execution']): ToolSet {
  if (!execution || execution.networkAccess) return tools;
  return Object.fromEntries(Object.entries(tools).filter(([name]) => !NETWORK_TOOLS.includes(name)));
}

/**
 * Blanks, in every tool output before the model (or the stream) sees it, the environment's secret
 * values and every credential this viber knows of (tokens, master key, provider and search keys):
 * the backstop behind the allow-listed environment and the hidden credential folders.
 */
function toolOutputRedactor(environment: AgentEnvironment, settings: ModelSettings): Redactor {
  const credentials = {
    ...knownCredentials(environment.home, environment.env, environment.config),
    ...environment.knownSecrets,
    ...(settings.apiKey ? { 'model API key': settings.apiKey } : {}),
  };
  return combineRedactors(environment.execution?.redactor ?? createRedactor({}), createRedactor(credentials));
}

function redacted(tools: ToolSet, outputRedactor: () => Redactor): ToolSet {
  return wrapExecute(tools, (execute) => async (input, options) => {
    try {
      const output: unknown = await execute(input, options);
      const redactor = outputRedactor();
      return isStreamed(output) || !redactor.active ? output : redactor.redactDeep(output);
    } catch (error) {
      const redactor = outputRedactor();
      const text = error instanceof Error ? error.message : String(error);
      if (!redactor.active) throw error;
      throw new Error(redactor.redact(text));
    }
  });
}

/**
 * The prefix of the next command: bubblewrap hiding the credential folders and the /proc entries
 * of this process and its ancestors (their environments hold what the user exported), the
 * environment's network setting, or its container.
 */
function wrapperFor(environment: AgentEnvironment, hiddenPaths: string[], cwd: string): string[] | undefined {
  if (!environment.sandbox) return undefined;
  const { execution } = environment;
  return commandWrapper(environment.sandbox, {
    hiddenPaths,
    hiddenPids: ownProcessLineage(),
    networkAccess: execution?.networkAccess ?? true,
    ...(execution?.container ? { container: { ...execution.container, cwd } } : {}),
  });
}

/**
 * The task's tmux session shows its commands live, but not in an environment with secrets: the
 * pane's output reaches operators unredacted, and its runner script would put the values on disk.
 */
function terminalSocketFor(environment: AgentEnvironment): { terminalSocket?: string } {
  const socket = environment.env[TASK_TMUX_SOCKET_VARIABLE];
  if (!socket || environment.execution?.redactor.active) return {};
  return { terminalSocket: socket };
}
