import { z } from 'zod';
import { braveSearch } from './brave-search.ts';
import { defineTool, inputText } from './define-tool.ts';
import {
  SEARCH_ENV,
  type SearchProvider,
  type SearchProviderFactory,
  type SearchResult,
} from './search-provider.ts';
import { searxngSearch } from './searxng-search.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Search the web. Returns a list of results (title, URL, snippet); read a result with web_fetch.
- Write the query as you would type it into a search engine.
- count defaults to ${TOOL_LIMITS.webSearchDefaultResults} (max ${TOOL_LIMITS.webSearchMaxResults}).`;

/** The providers `OPENVIBER_SEARCH_PROVIDER` can name. */
export const SEARCH_PROVIDERS: Record<string, SearchProviderFactory> = {
  brave: braveSearch,
  searxng: searxngSearch,
};

export const DEFAULT_SEARCH_PROVIDER = 'brave';

/** Picks and configures the provider from the task's environment; throws a ToolError saying what to set. */
export function resolveSearchProvider(env: NodeJS.ProcessEnv): SearchProvider {
  const name = env[SEARCH_ENV.provider]?.trim().toLowerCase() || DEFAULT_SEARCH_PROVIDER;
  const factory = SEARCH_PROVIDERS[name];
  if (!factory) {
    throw new ToolError(
      'not_configured',
      `${SEARCH_ENV.provider}="${name}" is not a known search provider; use one of: ${Object.keys(SEARCH_PROVIDERS).join(', ')}`,
    );
  }
  return factory({
    apiKey: env[SEARCH_ENV.apiKey]?.trim() || undefined,
    baseUrl: env[SEARCH_ENV.baseUrl]?.trim() || undefined,
  });
}

const MAX_SNIPPET_CHARS = 500;

export const WebSearchInputSchema = z.object({
  query: z.string().trim().min(1, 'query must not be empty').max(400).describe('The search query'),
  count: z.number().int().min(1).max(TOOL_LIMITS.webSearchMaxResults).optional().describe('How many results'),
});

export interface WebSearchResult {
  provider: string;
  query: string;
  results: SearchResult[];
}

export const webSearchTool = defineTool<typeof WebSearchInputSchema, WebSearchResult>({
  name: 'web_search',
  kind: 'network',
  summary: 'Search the web through a configured provider (Brave, SearXNG)',
  description: DESCRIPTION,
  inputSchema: WebSearchInputSchema,
  describe: (input) => `search "${inputText(input, 'query')}"`,
  excerpt: (output) =>
    `${output.results.length} results from ${output.provider}\n${output.results.map((result) => result.url).join('\n')}`,
  async execute(input, run) {
    const provider = resolveSearchProvider(run.context.settingsEnv);
    const count = input.count ?? TOOL_LIMITS.webSearchDefaultResults;
    const results = await provider.search({ query: input.query, count, signal: run.signal });
    const bounded = results
      .slice(0, count)
      .map((result) => ({ ...result, snippet: result.snippet.slice(0, MAX_SNIPPET_CHARS) }));
    return { provider: provider.name, query: input.query, results: bounded };
  },
});
