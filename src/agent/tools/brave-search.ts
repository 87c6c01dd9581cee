import { z } from 'zod';
import { htmlToText } from './html-to-text.ts';
import {
  fetchSearchJson,
  requireHttpUrl,
  SEARCH_ENV,
  type SearchProviderFactory,
} from './search-provider.ts';
import { ToolError } from './tool-error.ts';

export const BRAVE_DEFAULT_URL = 'https://api.search.brave.com/res/v1/web/search';

const BraveResponseSchema = z.object({
  web: z
    .object({
      results: z.array(
        z.looseObject({ title: z.string().optional(), url: z.string(), description: z.string().optional() }),
      ),
    })
    .optional(),
});

/** The Brave Search web API (or anything speaking its JSON): `X-Subscription-Token` carries the key. */
export const braveSearch: SearchProviderFactory = (config) => {
  if (!config.apiKey) {
    throw new ToolError(
      'not_configured',
      `web_search needs a search API key: set ${SEARCH_ENV.apiKey} to a Brave Search API key, ` +
        `or set ${SEARCH_ENV.provider}=searxng and ${SEARCH_ENV.baseUrl} to a SearXNG instance`,
    );
  }
  const apiKey = config.apiKey;
  const endpoint = requireHttpUrl(config.baseUrl ?? BRAVE_DEFAULT_URL, SEARCH_ENV.baseUrl);
  return {
    name: 'brave',
    async search({ query, count, signal }) {
      const url = new URL(endpoint);
      url.searchParams.set('q', query);
      url.searchParams.set('count', String(count));
      const json = await fetchSearchJson('brave', url, { 'x-subscription-token': apiKey }, signal);
      const parsed = BraveResponseSchema.safeParse(json);
      if (!parsed.success)
        throw new ToolError('http_error', 'brave search answered JSON without web.results');
      return (parsed.data.web?.results ?? []).slice(0, count).map((result) => ({
        title: result.title ?? result.url,
        url: result.url,
        snippet: htmlToText(result.description ?? '').text,
      }));
    },
  };
};
