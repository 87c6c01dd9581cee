import type { z } from 'zod';
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

/** A viber's own read of the gateway: its id, its token, and which gateway (the one it is connected to). */
export interface ViberPull {
  serverUrl: string;
  viberId: string;
  token: string;
}

/**
 * GET /api/vibers/:id/<route> with the viber's own token, the answer checked against `schema`.
 * `what` names the pull in every error ("the config pull", "the model settings"); an error never
 * holds the answer's values (describeZodError never quotes what it received).
 */
export async function pullViberResource<T>(
  input: ViberPull,
  route: string,
  schema: z.ZodType<T>,
  what: { reach: string; pull: string; answer: string },
): Promise<T> {
  const url = `${httpBaseOf(input.serverUrl)}/api/vibers/${encodeURIComponent(input.viberId)}/${route}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${input.token}`, 'x-viber-id': input.viberId },
      signal: AbortSignal.timeout(PULL_TIMEOUT_MS),
    });
  } catch (error) {
    throw new OpenViberError(
      'viber_offline',
      `cannot reach the gateway for ${what.reach}: ${(error as Error).message}`,
      503,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new OpenViberError(
      'bad_request',
      `${what.pull} was refused (${response.status}): ${text.slice(0, 300)}`,
      response.status,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OpenViberError('invalid_json', `${what.answer} is not JSON`, 502);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new OpenViberError(
      'validation_failed',
      `${what.answer} is invalid: ${describeZodError(parsed.error)}`,
      502,
    );
  }
  return parsed.data;
}

/**
 * GET /api/vibers/:id/config with the viber's own token (environments document, 6.2). The answer
 * holds the secret values of this viber's bindings: kept in memory only, never written anywhere.
 */
export function pullViberConfig(input: ViberPull): Promise<ViberConfigPull> {
  return pullViberResource(input, 'config', ViberConfigPullSchema, {
    reach: 'the config pull',
    pull: 'the config pull',
    answer: 'the config pull answer',
  });
}
