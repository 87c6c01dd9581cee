import { type JSONSchema7, jsonSchema, type Tool, type ToolExecutionOptions, zodSchema } from 'ai';
import type { z } from 'zod';
import type { Logger } from '../../core/logger.ts';
import { exceedsJsonDepth, LIMITS } from '../../protocol/index.ts';
import { type BoundOptions, boundResult, type TruncateMode } from './output-bound.ts';
import { sha256 } from './text-file.ts';
import type { ToolContext } from './tool-context.ts';
import { errorMessage, ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

/** How the autonomy policy treats a tool: read-only tools may run without approval. */
export type ToolKind = 'read' | 'write' | 'execute' | 'network' | 'meta';

/** What a tool's `execute` gets besides its validated input. */
export interface ToolRun {
  context: ToolContext;
  toolCallId: string;
  /** Aborted when the task stops or the SDK aborts the call. */
  signal: AbortSignal;
  logger: Logger;
  /** Naming and location for artifacts that keep full outputs. */
  bound: BoundOptions;
  /** Records `{kind:'file'}` evidence for content just written to `path`. */
  recordFile(path: string, content: string | Uint8Array): { sha256: string; bytes: number };
  /** Records `{kind:'url'}` evidence for a URL this call fetched. */
  recordUrl(url: string, status: number): void;
}

export interface ToolDefinition<Schema extends z.ZodType, Output extends object> {
  name: string;
  kind: ToolKind;
  /** One line for the catalog and docs. */
  summary: string;
  /** What the model reads. */
  description: string;
  inputSchema: Schema;
  /** What the model is shown of the input, when `inputSchema` cannot say it (an MCP server's JSON Schema). */
  modelInputSchema?: JSONSchema7;
  truncate?: TruncateMode;
  /** One line for humans (progress, approval prompts); gets unvalidated input. */
  describe(input: Record<string, unknown>): string;
  /** Whether a successful result counts as ok in evidence (default true). */
  isOk?(output: Output): boolean;
  /** The evidence excerpt (default: the start of the JSON result). */
  excerpt?(output: Output): string;
  execute(input: z.output<Schema>, run: ToolRun): Promise<Output>;
}

/** A tool ready to be bound to a task's context. */
export interface DefinedTool {
  name: string;
  kind: ToolKind;
  summary: string;
  describe(input: unknown): string;
  create(context: ToolContext): Tool<unknown, object>;
}

/** The result a model sees when a call fails. */
export interface ToolErrorResult {
  error: string;
}

const MAX_DESCRIBE_CHARS = 200;

/**
 * Wraps a tool definition into an AI SDK tool. The wrapper validates input itself (the SDK is
 * given the JSON Schema but a pass-through validator) so a malformed call gets a message naming
 * the field; any throw becomes `{ error }` for the model; output is bounded; every call is
 * recorded as evidence and logged.
 */
export function defineTool<Schema extends z.ZodType, Output extends object>(
  definition: ToolDefinition<Schema, Output>,
): DefinedTool {
  const describe = (input: unknown) => describeSafely(definition, input);
  const inputSchema = jsonSchema<unknown>(
    () => definition.modelInputSchema ?? zodSchema(definition.inputSchema).jsonSchema,
    {
      validate: (value) => ({ success: true, value }),
    },
  );
  return {
    name: definition.name,
    kind: definition.kind,
    summary: definition.summary,
    describe,
    create: (context) => ({
      description: definition.description,
      inputSchema,
      execute: (input: unknown, options: ToolExecutionOptions<unknown>) =>
        runTool(definition, context, input, options),
    }),
  };
}

async function runTool<Schema extends z.ZodType, Output extends object>(
  definition: ToolDefinition<Schema, Output>,
  context: ToolContext,
  rawInput: unknown,
  options: Pick<ToolExecutionOptions<unknown>, 'toolCallId' | 'abortSignal'>,
): Promise<object> {
  const { toolCallId } = options;
  const logger = context.logger.child({ tool: definition.name, toolCallId });
  const summary = describeSafely(definition, rawInput);
  const signal = options.abortSignal
    ? AbortSignal.any([context.signal, options.abortSignal])
    : context.signal;
  const bound: BoundOptions = {
    artifactsDir: context.artifactsDir,
    tool: definition.name,
    toolCallId,
    mode: definition.truncate ?? 'head',
  };
  const started = Date.now();
  let output: object;
  let ok: boolean;
  let excerpt: string;
  try {
    if (signal.aborted) throw new ToolError('aborted', 'the task was stopped before this tool call ran');
    // Before zod, which recurses: a model's arguments can nest deep enough to overflow the stack.
    if (exceedsJsonDepth(rawInput, LIMITS.maxJsonDepth)) {
      throw new ToolError(
        'invalid_input',
        `Invalid input for ${definition.name}: (input) nests deeper than ${LIMITS.maxJsonDepth} levels, the limit`,
      );
    }
    const parsed = definition.inputSchema.safeParse(rawInput);
    if (!parsed.success) throw new ToolError('invalid_input', formatIssues(definition.name, parsed.error));
    const run: ToolRun = {
      context,
      toolCallId,
      signal,
      logger,
      bound,
      recordFile: fileRecorder(context, toolCallId),
      recordUrl: (url, status) => record(context, logger, { kind: 'url', toolCallId, url, status }),
    };
    const result = await definition.execute(parsed.data, run);
    output = await boundResult(result, bound);
    ok = definition.isOk ? definition.isOk(result) : true;
    excerpt = definition.excerpt ? definition.excerpt(result) : JSON.stringify(output);
  } catch (error) {
    const message = failureMessage(definition.name, error, signal);
    if (!ToolError.isInstance(error)) logger.warn({ error: errorMessage(error) }, 'tool threw');
    output = { error: message } satisfies ToolErrorResult;
    ok = false;
    excerpt = message;
  }
  record(context, logger, {
    kind: 'tool-call',
    toolCallId,
    tool: definition.name,
    input: summary,
    outputExcerpt: excerpt.slice(0, TOOL_LIMITS.evidenceExcerptChars),
    ok,
  });
  logger.info({ input: summary, ok, durationMs: Date.now() - started }, 'tool call');
  return output;
}

function failureMessage(tool: string, error: unknown, signal: AbortSignal): string {
  if (ToolError.isInstance(error) && error.code === 'aborted') return error.message;
  // Whatever a tool threw while being stopped (an AbortError, a fetch failure) says less than this.
  if (signal.aborted) return `${tool} was aborted: the task was stopped`;
  if (ToolError.isInstance(error)) return error.message;
  return `${tool} failed: ${errorMessage(error)}`;
}

function formatIssues(tool: string, error: z.ZodError): string {
  const issues = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(input)';
    return `${field}: ${issue.message}`;
  });
  return `Invalid input for ${tool}: ${issues.join('; ')}`;
}

function fileRecorder(context: ToolContext, toolCallId: string): ToolRun['recordFile'] {
  return (path, content) => {
    const fact = { sha256: sha256(content), bytes: Buffer.byteLength(content) };
    record(context, context.logger, { kind: 'file', toolCallId, path, ...fact });
    return fact;
  };
}

/** Evidence is best effort: a failing recorder must not turn a finished tool call into an error. */
function record(
  context: ToolContext,
  logger: Logger,
  evidence: Parameters<ToolContext['recordEvidence']>[0],
) {
  try {
    context.recordEvidence(evidence);
  } catch (error) {
    logger.warn({ error: errorMessage(error) }, 'recording evidence failed');
  }
}

function describeSafely(
  definition: Pick<ToolDefinition<z.ZodType, object>, 'name' | 'describe'>,
  input: unknown,
) {
  let text: string;
  try {
    text =
      input !== null && typeof input === 'object'
        ? definition.describe(input as Record<string, unknown>)
        : definition.name;
  } catch {
    text = definition.name;
  }
  const line = text.replace(/\s*\n\s*/g, ' ⏎ ').trim() || definition.name;
  return line.length > MAX_DESCRIBE_CHARS ? `${line.slice(0, MAX_DESCRIBE_CHARS - 1)}…` : line;
}

/** A string field of unvalidated input, for `describe`. */
export function inputText(input: Record<string, unknown>, key: string, fallback = ''): string {
  const value = input[key];
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : fallback;
}
