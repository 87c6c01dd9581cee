import { simpleCommands } from './command-safety.ts';

/**
 * Operator rules from config.agent.allow and config.agent.deny. Three forms:
 * - `name`: a whole tool, when `name` is a tool of the catalog (`read_file`, `web_fetch`);
 * - `name(glob)`: that tool when its subject matches the glob (the command of a shell tool, the
 *   path of a file tool, the URL of a web tool), e.g. `write_file(docs/*)`;
 * - anything else: a command glob for shell-like tools, e.g. `npm test*` or `git status`.
 * In globs `*` matches any run of characters (slashes included) and `?` one character.
 */
export interface PolicyRule {
  source: string;
  tool: string | undefined;
  glob: RegExp | undefined;
}

export function parseRule(source: string, toolNames: ReadonlySet<string>): PolicyRule {
  const text = source.trim();
  const scoped = /^([A-Za-z_][\w-]*)\((.*)\)$/s.exec(text);
  if (scoped && toolNames.has(scoped[1]!))
    return { source, tool: scoped[1], glob: globToRegExp(scoped[2]!.trim()) };
  if (toolNames.has(text)) return { source, tool: text, glob: undefined };
  return { source, tool: undefined, glob: globToRegExp(normalize(text)) };
}

export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

export interface RuleSubject {
  toolName: string;
  /** The command line, for shell-like (execute) tools. */
  command: string | undefined;
  /** What a `name(glob)` rule matches: the command, path, URL or the call's summary. */
  subject: string;
}

/** Allow rules match the whole subject; command globs never cover a chained or redirected command. */
export function allowMatches(rule: PolicyRule, call: RuleSubject, commandIsPlain: boolean): boolean {
  if (rule.tool !== undefined) {
    if (rule.tool !== call.toolName) return false;
    if (!rule.glob) return true;
    return (call.command === undefined || commandIsPlain) && rule.glob.test(normalize(call.subject));
  }
  return call.command !== undefined && commandIsPlain && rule.glob!.test(normalize(call.command));
}

/**
 * Deny rules are broader: a command glob matches any simple command of the line, as a prefix of
 * whole words (`git push` denies `cd repo && git push origin main`).
 */
export function denyMatches(rule: PolicyRule, call: RuleSubject): boolean {
  if (rule.tool !== undefined) {
    if (rule.tool !== call.toolName) return false;
    return !rule.glob || rule.glob.test(normalize(call.subject));
  }
  if (call.command === undefined) return false;
  const prefix = new RegExp(`${rule.glob!.source.slice(0, -1)}( .*)?$`, 's');
  return simpleCommands(call.command).some((segment) => prefix.test(segment));
}

function normalize(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}
