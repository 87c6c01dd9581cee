import { z } from 'zod';
import { htmlToText } from './html-to-text.ts';
import {
  fetchSearchJson,
  requireHttpUrl,
  SEARCH_ENV,
  type SearchProviderFactory,
} from './search-provider.ts';
import { ToolError } from './tool-error.ts';

const SearxngResponseSchema = z.object({
  results: z.array(
    z.looseObject({ title: z.string().optional(), url: z.string(), content: z.string().optional() }),
  ),
});

/**
 * A SearXNG instance's JSON API (`/search?format=json`, which the instance must enable). Public
 * instances need no key; when one is set it is sent as a bearer token for a proxy in front.
 */
export const searxngSearch: SearchProviderFactory = (config) => {
  if (!config.baseUrl) {
    throw new ToolError(
      'not_configured',
      `web_search with ${SEARCH_ENV.provider}=searxng needs ${SEARCH_ENV.baseUrl} (e.g. http://localhost:8888)`,
    );
  }
  const base = requireHttpUrl(config.baseUrl, SEARCH_ENV.baseUrl);
  const headers: Record<string, string> = config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
  return {
    name: 'searxng',
    async search({ query, count, signal }) {
      const url = new URL(base);
      if (!url.pathname.endsWith('/search')) url.pathname = `${url.pathname.replace(/\/$/, '')}/search`;
      url.searchParams.set('q', query);
      url.searchParams.set('format', 'json');
      const json = await fetchSearchJson('searxng', url, headers, signal);
      const parsed = SearxngResponseSchema.safeParse(json);
      if (!parsed.success) throw new ToolError('http_error', 'searxng answered JSON without a results list');
      return parsed.data.results.slice(0, count).map((result) => ({
        title: result.title ?? result.url,
        url: result.url,
        snippet: htmlToText(result.content ?? '').text,
      }));
    },
  };
};
