import { decodeBody, fetchFailure, parseHttpUrl, readBodyLimited } from './http-body.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchRequest {
  query: string;
  count: number;
  signal: AbortSignal;
}

/** A web search backend. Adding one: a file with a factory, and an entry in SEARCH_PROVIDERS. */
export interface SearchProvider {
  readonly name: string;
  search(request: SearchRequest): Promise<SearchResult[]>;
}

export interface SearchProviderConfig {
  apiKey?: string;
  baseUrl?: string;
}

export type SearchProviderFactory = (config: SearchProviderConfig) => SearchProvider;

/** The environment variables web_search reads (from the task's environment). */
export const SEARCH_ENV = {
  provider: 'OPENVIBER_SEARCH_PROVIDER',
  apiKey: 'OPENVIBER_SEARCH_API_KEY',
  baseUrl: 'OPENVIBER_SEARCH_BASE_URL',
} as const;

const SEARCH_BODY_LIMIT = 2 * 1024 * 1024;

/** GETs a search API and parses its JSON; every failure becomes a message that names the cause. */
export async function fetchSearchJson(
  provider: string,
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<unknown> {
  const timeout = AbortSignal.timeout(TOOL_LIMITS.webSearchTimeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.any([signal, timeout]),
    });
  } catch (error) {
    if (timeout.aborted && !signal.aborted) {
      throw new ToolError(
        'http_error',
        `${provider} search timed out after ${TOOL_LIMITS.webSearchTimeoutMs / 1000} s`,
      );
    }
    throw new ToolError(
      'http_error',
      `${provider} search request to ${url.origin} failed: ${fetchFailure(error)}`,
    );
  }
  const body = await readBodyLimited(response, SEARCH_BODY_LIMIT);
  const text = decodeBody(body.bytes, response.headers.get('content-type') ?? '');
  if (response.status === 401 || response.status === 403) {
    throw new ToolError(
      'not_configured',
      `${provider} search rejected the API key (HTTP ${response.status}); check ${SEARCH_ENV.apiKey}`,
    );
  }
  if (!response.ok) {
    throw new ToolError(
      'http_error',
      `${provider} search answered HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ToolError(
      'http_error',
      `${provider} search answered with something that is not JSON: ${text.slice(0, 200)}`,
    );
  }
}

export function requireHttpUrl(value: string, variable: string): URL {
  const url = parseHttpUrl(value);
  if (!url)
    throw new ToolError('not_configured', `${variable} must be an http:// or https:// URL, got "${value}"`);
  return url;
}
