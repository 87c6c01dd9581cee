import { OpenViberError } from '../core/errors.ts';
import { describeZodError, type ModelSettingsPull, ModelSettingsPullSchema } from '../protocol/index.ts';
import { httpBaseOf } from './environment/config-client.ts';

const PULL_TIMEOUT_MS = 15_000;

/**
 * GET /api/vibers/:id/model-settings with the viber's own token (docs/settings.md). The answer
 * holds the providers' keys: kept in memory only, never written anywhere, never in an error.
 */
export async function pullModelSettings(input: {
  serverUrl: string;
  viberId: string;
  token: string;
}): Promise<ModelSettingsPull> {
  const url = `${httpBaseOf(input.serverUrl)}/api/vibers/${encodeURIComponent(input.viberId)}/model-settings`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${input.token}`, 'x-viber-id': input.viberId },
      signal: AbortSignal.timeout(PULL_TIMEOUT_MS),
    });
  } catch (error) {
    throw new OpenViberError(
      'viber_offline',
      `cannot reach the gateway for the model settings: ${(error as Error).message}`,
      503,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    // An error body never holds a key; an old gateway without the route answers 404.
    throw new OpenViberError(
      'bad_request',
      `the model settings pull was refused (${response.status}): ${text.slice(0, 300)}`,
      response.status,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OpenViberError('invalid_json', 'the model settings answer is not JSON', 502);
  }
  const parsed = ModelSettingsPullSchema.safeParse(body);
  if (!parsed.success) {
    // Names the fields only: describeZodError never quotes a received value.
    throw new OpenViberError(
      'validation_failed',
      `the model settings answer is invalid: ${describeZodError(parsed.error)}`,
      502,
    );
  }
  return parsed.data;
}
