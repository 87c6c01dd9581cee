import type { AutonomyMode } from '../protocol/index.ts';
import { deniedCommandReason, hasShellControl } from './command-safety.ts';
import { allowMatches, denyMatches, type PolicyRule, parseRule, type RuleSubject } from './policy-rules.ts';

export type ToolKind = 'read' | 'write' | 'execute' | 'network' | 'meta';
export interface ToolCatalogEntry {
  kind: ToolKind;
  summary: string;
}
export type ToolCatalog = Record<string, ToolCatalogEntry>;

/** The AI SDK approval statuses the policy returns (object forms, so reasons reach the stream). */
export type PolicyDecision =
  | { type: 'not-applicable' }
  | { type: 'approved'; reason: string }
  | { type: 'denied'; reason: string }
  | { type: 'user-approval'; reason: string };

export interface AutonomyPolicyOptions {
  mode: AutonomyMode;
  catalog: ToolCatalog;
  describeToolCall(name: string, input: unknown): string;
  allow?: string[];
  deny?: string[];
}

export type AutonomyPolicy = (toolName: string, input: unknown) => PolicyDecision;

/**
 * Decides, for each tool call, whether it runs, waits for the operator or is refused
 * (architecture document, section 4):
 * - the deny list (built in, plus config.agent.deny) refuses a call in every mode;
 * - always-ask: every call except meta tools (plan, report) waits for approval;
 * - agent-decides: read, network and meta tools run; write and execute tools wait for approval
 *   unless an allow rule (config.agent.allow) matches;
 * - always-execute: everything not denied runs.
 * A tool missing from the catalog counts as `execute`: unknown means dangerous.
 */
export function createAutonomyPolicy(options: AutonomyPolicyOptions): AutonomyPolicy {
  const toolNames = new Set(Object.keys(options.catalog));
  const allow = (options.allow ?? []).map((source) => parseRule(source, toolNames));
  const deny = (options.deny ?? []).map((source) => parseRule(source, toolNames));
  return (toolName, input) => {
    const kind = options.catalog[toolName]?.kind ?? 'execute';
    const call = subjectOf(toolName, kind, input, options.describeToolCall);
    const refusal = denyReason(kind, input, call, deny);
    if (refusal) {
      return {
        type: 'denied',
        reason: `Refused by the viber's deny list (${refusal}). No autonomy mode allows this; do not try to work around it.`,
      };
    }
    const what = safeDescribe(options.describeToolCall, toolName, input);
    if (options.mode === 'always-execute' || kind === 'meta') return { type: 'not-applicable' };
    if (options.mode === 'always-ask') return { type: 'user-approval', reason: `always-ask mode: ${what}` };
    if (kind === 'read' || kind === 'network') return { type: 'not-applicable' };
    const plain = call.command === undefined || !hasShellControl(call.command);
    const rule = allow.find((candidate) => allowMatches(candidate, call, plain));
    if (rule) return { type: 'approved', reason: `allowed by rule "${rule.source}"` };
    return { type: 'user-approval', reason: `${kind} action needs approval in agent-decides mode: ${what}` };
  };
}

function denyReason(
  kind: string,
  input: unknown,
  call: RuleSubject,
  rules: PolicyRule[],
): string | undefined {
  if (kind === 'execute') {
    for (const text of [call.command ?? '', ...stringsOf(input)]) {
      const reason = deniedCommandReason(text);
      if (reason) return reason;
    }
  }
  const rule = rules.find((candidate) => denyMatches(candidate, call));
  return rule ? `rule "${rule.source}"` : undefined;
}

function subjectOf(
  toolName: string,
  kind: string,
  input: unknown,
  describe: AutonomyPolicyOptions['describeToolCall'],
): RuleSubject {
  const fields = isRecord(input) ? input : {};
  const command = kind === 'execute' ? commandOf(fields) : undefined;
  const direct = [fields.path, fields.url, fields.query].find((value) => typeof value === 'string');
  const subject = command ?? (direct as string | undefined) ?? safeDescribe(describe, toolName, input);
  return { toolName, command, subject };
}

/** The command line of a shell-like call: `command` (plus `args`), else every string field joined. */
function commandOf(fields: Record<string, unknown>): string {
  if (typeof fields.command === 'string') {
    const args = Array.isArray(fields.args) ? fields.args.filter((arg) => typeof arg === 'string') : [];
    return [fields.command, ...args].join(' ');
  }
  return stringsOf(fields).join(' ');
}

/** Top-level strings and string arrays of a tool input: where a command can hide. */
function stringsOf(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!isRecord(input)) return [];
  return Object.values(input).flatMap((value) => {
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) {
      const words = value.filter((item) => typeof item === 'string');
      return words.length > 0 ? [words.join(' ')] : [];
    }
    return [];
  });
}

function safeDescribe(
  describe: AutonomyPolicyOptions['describeToolCall'],
  name: string,
  input: unknown,
): string {
  try {
    return describe(name, input);
  } catch {
    return name;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
