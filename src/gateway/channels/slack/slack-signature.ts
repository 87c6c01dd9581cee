import { createHmac } from 'node:crypto';
import { SIGNATURE_WINDOW_SECONDS, type SignatureCheck, sameSecret } from '../channel-signature.ts';

/**
 * Slack's request signing (api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>" under the signing secret>`
 * and `X-Slack-Request-Timestamp: <seconds>`. A request stamped more than five minutes from the
 * gateway's clock is refused, so a captured request cannot be replayed later; within the window
 * the service's event dedupe stops a replay.
 */
export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function verifySlackSignature(
  secret: string,
  headers: Headers,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const signature = headers.get(SLACK_SIGNATURE_HEADER);
  const stamp = headers.get(SLACK_TIMESTAMP_HEADER);
  if (!signature || !stamp)
    return { ok: false, reason: `missing ${SLACK_SIGNATURE_HEADER} or ${SLACK_TIMESTAMP_HEADER}` };
  if (!/^\d{1,12}$/.test(stamp))
    return { ok: false, reason: `${SLACK_TIMESTAMP_HEADER} is not seconds since the epoch` };
  const timestamp = Number(stamp);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_SECONDS) {
    return {
      ok: false,
      reason: `stale timestamp: more than ${SIGNATURE_WINDOW_SECONDS} s from the gateway's clock`,
    };
  }
  if (!sameSecret(signature, slackSignature(secret, timestamp, body)))
    return { ok: false, reason: 'bad signature' };
  return { ok: true, timestamp };
}
