import { describe, expect, it } from 'vitest';
import { resolveMetricsTokenHash } from './metrics-token.ts';
import { hashToken } from './token-hash.ts';

describe('the metrics token', () => {
  const token = 'a-metrics-token-long-enough';

  it('is the option given, else OPENVIBER_METRICS_TOKEN, else none; only its hash is kept', () => {
    expect(resolveMetricsTokenHash(token, { OPENVIBER_METRICS_TOKEN: 'another-token-long-enough' })).toBe(
      hashToken(token),
    );
    expect(resolveMetricsTokenHash(undefined, { OPENVIBER_METRICS_TOKEN: token })).toBe(hashToken(token));
    expect(resolveMetricsTokenHash(undefined, {})).toBeUndefined();
    expect(resolveMetricsTokenHash(undefined, { OPENVIBER_METRICS_TOKEN: '  ' })).toBeUndefined();
  });

  it('refuses one shorter than 16 characters or with spaces, without quoting it', () => {
    for (const bad of ['short-token', 'a token with spaces']) {
      let message = '';
      try {
        resolveMetricsTokenHash(bad, {});
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe(
        'the metrics token given: a metrics token must be at least 16 characters with no spaces',
      );
    }
  });
});
