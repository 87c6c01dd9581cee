import type { ToolSet } from 'ai';
import { BROWSER_TOOLS, chromiumStatus } from './browser/index.ts';
import type { DefinedTool, ToolKind } from './define-tool.ts';
import { editFileTool } from './edit-file.ts';
import { globTool } from './glob.ts';
import { grepTool } from './grep.ts';
import { listDirectoryTool } from './list-directory.ts';
import { planTool } from './plan.ts';
import { readFileTool } from './read-file.ts';
import { rememberTool } from './remember.ts';
import { saveArtifactTool } from './save-artifact.ts';
import { shellTool } from './shell.ts';
import type { ToolContext } from './tool-context.ts';
import { webFetchTool } from './web-fetch.ts';
import { webSearchTool } from './web-search.ts';
import { writeFileTool } from './write-file.ts';

export type { DefinedTool, ToolErrorResult, ToolKind } from './define-tool.ts';
export { MEMORY_FILES } from './remember.ts';
export type { SearchProvider, SearchProviderFactory, SearchResult } from './search-provider.ts';
export { SEARCH_ENV } from './search-provider.ts';
export type { DataPart, Evidence, ToolContext } from './tool-context.ts';
export { TOOL_LIMITS } from './tool-limits.ts';
export { resolveSearchProvider, SEARCH_PROVIDERS } from './web-search.ts';

/** Every built-in tool, in the order the model sees them. */
const TOOLS: readonly DefinedTool[] = [
  shellTool,
  readFileTool,
  writeFileTool,
  editFileTool,
  listDirectoryTool,
  globTool,
  grepTool,
  webFetchTool,
  webSearchTool,
  planTool,
  saveArtifactTool,
  rememberTool,
  ...BROWSER_TOOLS,
];

const BROWSER_TOOL_NAMES = new Set<string>(BROWSER_TOOLS.map((tool) => tool.name));

const BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));

export const TOOL_NAMES: readonly string[] = TOOLS.map((tool) => tool.name);

/** What each tool is, for the autonomy policy (`kind`) and for humans (`summary`). */
export const TOOL_CATALOG: Record<string, { kind: ToolKind; summary: string }> = Object.fromEntries(
  TOOLS.map((tool) => [tool.name, { kind: tool.kind, summary: tool.summary }]),
);

/**
 * The AI SDK tools bound to one task's context. `only` limits the set (e.g. the first four); a
 * name it does not know throws, since the names are plain strings a typo would otherwise drop.
 */
export function createToolSet(context: ToolContext, only?: readonly string[]): ToolSet {
  const unknown = only?.filter((name) => !BY_NAME.has(name)) ?? [];
  if (unknown.length > 0) throw new Error(`no built-in tool named ${unknown.join(', ')}`);
  const listed = only ? TOOLS.filter((tool) => only.includes(tool.name)) : TOOLS;
  // The browser tools exist only where a Chromium is usable (docs/browser.md).
  const browser = chromiumStatus(context.settingsEnv).available;
  const chosen = browser ? listed : listed.filter((tool) => !BROWSER_TOOL_NAMES.has(tool.name));
  return Object.fromEntries(chosen.map((tool) => [tool.name, tool.create(context)]));
}

/**
 * One line for humans about a call (the command, the path, the URL), for CLI progress and approval
 * prompts. Takes unvalidated input; never throws; at most 200 characters.
 */
export function describeToolCall(name: string, input: unknown): string {
  const tool = BY_NAME.get(name);
  if (!tool) return `${name} ${safeJson(input)}`.slice(0, 200);
  return tool.describe(input);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
