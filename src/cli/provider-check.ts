import type { ProviderName } from '../core/config.ts';

/**
 * One real request that proves a provider's key and endpoint work without spending tokens: the
 * model list (GET {baseURL}/models). OpenAI and every OpenAI-compatible server take a bearer key;
 * Anthropic takes x-api-key and a version header. Messages never contain the key.
 */

export const DEFAULT_BASE_URLS: Record<Exclude<ProviderName, 'custom'>, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
};

export interface ProviderEndpoint {
  provider: ProviderName;
  baseURL?: string;
  apiKey?: string;
}

export type ProviderCheck =
  | { ok: true; url: string; models: string[] }
  | { ok: false; url: string; message: string };

export function modelsUrl(endpoint: ProviderEndpoint): string {
  const base =
    endpoint.baseURL ?? (endpoint.provider === 'custom' ? undefined : DEFAULT_BASE_URLS[endpoint.provider]);
  if (!base) throw new Error('a custom provider needs a base URL');
  return `${base.replace(/\/+$/, '')}/models`;
}

export async function checkProvider(endpoint: ProviderEndpoint, timeoutMs = 10_000): Promise<ProviderCheck> {
  const check = await requestModels(endpoint, timeoutMs);
  return check.ok ? check : { ...check, message: scrub(check.message, endpoint.apiKey) };
}

/**
 * Providers quote part of a refused key back ("Incorrect API key provided: sk-ab***yz"): the key
 * and anything shaped like one leave the message.
 */
function scrub(message: string, apiKey: string | undefined): string {
  const withoutKey = apiKey && apiKey.length >= 4 ? message.replaceAll(apiKey, '[redacted]') : message;
  return withoutKey.replace(/\b(sk|key|api)[-_][\w*.-]{4,}/gi, '[redacted]');
}

async function requestModels(endpoint: ProviderEndpoint, timeoutMs: number): Promise<ProviderCheck> {
  const url = modelsUrl(endpoint);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (endpoint.provider === 'anthropic') {
    if (endpoint.apiKey) headers['x-api-key'] = endpoint.apiKey;
    headers['anthropic-version'] = '2023-06-01';
  } else if (endpoint.apiKey) {
    headers.authorization = `Bearer ${endpoint.apiKey}`;
  }
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return { ok: false, url, message: `cannot reach ${url}: ${reasonOf(error)}` };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 401 || response.status === 403) {
    return {
      ok: false,
      url,
      message: `${url} refused the API key (HTTP ${response.status}${detailOf(text)}); check the key`,
    };
  }
  if (!response.ok) {
    return { ok: false, url, message: `${url} answered HTTP ${response.status}${detailOf(text)}` };
  }
  try {
    const body = JSON.parse(text) as { data?: { id?: unknown }[] };
    if (!Array.isArray(body.data)) throw new Error('no "data" list');
    const models = body.data.map((model) => model.id).filter((id): id is string => typeof id === 'string');
    return { ok: true, url, models };
  } catch (error) {
    return {
      ok: false,
      url,
      message: `${url} did not answer with a model list (${(error as Error).message}); is it an OpenAI-compatible /v1 URL?`,
    };
  }
}

/** The provider's own error message, if its body carries one (never the request's headers). */
function detailOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === 'object' ? body.error?.message : (body.error ?? body.message);
    return typeof message === 'string' && message ? `: ${message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
