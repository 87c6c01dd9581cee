import { OpenViberError } from '../../core/errors.ts';
import { MIN_OPERATOR_TOKEN_LENGTH } from './operator-token.ts';
import { hashToken } from './token-hash.ts';

/** The environment variable a metrics token may come from when the gateway is not given one. */
export const METRICS_TOKEN_ENV = 'OPENVIBER_METRICS_TOKEN';

/**
 * The metrics token's SHA-256 (hex), from the option or else OPENVIBER_METRICS_TOKEN; undefined
 * when neither is set (then only operator devices may scrape). Only the hash is kept, so the token
 * itself stays out of memory dumps, logs and errors: a bad one is refused without being quoted.
 */
export function resolveMetricsTokenHash(
  given: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const [token, source] =
    given !== undefined ? [given, 'the metrics token given'] : [env[METRICS_TOKEN_ENV], METRICS_TOKEN_ENV];
  if (token === undefined || token.trim() === '') return undefined;
  const trimmed = token.trim();
  if (trimmed.length < MIN_OPERATOR_TOKEN_LENGTH || /\s/.test(trimmed)) {
    throw new OpenViberError(
      'validation_failed',
      `${source}: a metrics token must be at least ${MIN_OPERATOR_TOKEN_LENGTH} characters with no spaces`,
    );
  }
  return hashToken(trimmed);
}
