import { OpenViberError } from '../../core/errors.ts';
import { describeZodError, type ViberConfigPull, ViberConfigPullSchema } from '../../protocol/index.ts';

const PULL_TIMEOUT_MS = 15_000;

/** `ws://host:port/ws` -> `http://host:port`: the config pull goes to the same gateway. */
export function httpBaseOf(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = url.pathname.replace(/\/ws\/?$/, '') || '/';
  url.search = '';
  return url.toString().replace(/\/$/, '');
}

/**
 * GET /api/vibers/:id/config with the viber's own token (environments document, 6.2). The answer
 * holds the secret values of this viber's bindings: kept in memory only, never written anywhere.
 */
export async function pullViberConfig(input: {
  serverUrl: string;
  viberId: string;
  token: string;
}): Promise<ViberConfigPull> {
  const url = `${httpBaseOf(input.serverUrl)}/api/vibers/${encodeURIComponent(input.viberId)}/config`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${input.token}`, 'x-viber-id': input.viberId },
      signal: AbortSignal.timeout(PULL_TIMEOUT_MS),
    });
  } catch (error) {
    throw new OpenViberError(
      'viber_offline',
      `cannot reach the gateway for the config pull: ${(error as Error).message}`,
      503,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new OpenViberError(
      'bad_request',
      `the config pull was refused (${response.status}): ${text.slice(0, 300)}`,
      response.status,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OpenViberError('invalid_json', 'the config pull answer is not JSON', 502);
  }
  const parsed = ViberConfigPullSchema.safeParse(body);
  if (!parsed.success) {
    throw new OpenViberError(
      'validation_failed',
      `the config pull answer is invalid: ${describeZodError(parsed.error)}`,
      502,
    );
  }
  return parsed.data;
}
