import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The capability tokens in opened ports' URLs (`/ports/<viberId>/<port>/<token>/`, docs/ports.md).
 * A token says which viber and port it opens, which operator device opened it and until when,
 * signed with HMAC-SHA256 under a key derived from the gateway's master key: any gateway sharing
 * the master key checks it without a store lookup of the token, and nothing about it is stored.
 * The gateway checks it on every request (and the device behind it), and never forwards it.
 */

const PayloadSchema = z.strictObject({
  v: z.string().min(1).max(200),
  p: z.number().int().min(1).max(65_535),
  /** The operator device that opened it: revoking the device closes the link. */
  d: z.string().min(1).max(200),
  /** Expiry, seconds since the epoch. */
  e: z.number().int().min(0),
});
type Payload = z.infer<typeof PayloadSchema>;

/** Longest token accepted: a payload of the longest ids and a signature fit well under it. */
const MAX_TOKEN_CHARS = 1024;

export type LinkCheck =
  | { ok: true; deviceId: string; expiresAt: Date }
  | { ok: false; status: 401 | 403; message: string };

export class PortLinks {
  readonly #key: Buffer | undefined;
  readonly #problem: string | undefined;

  /** `masterKey` undefined: links cannot be made or checked, and `problem` says why. */
  constructor(masterKey: Buffer | undefined, problem?: string) {
    // A key of its own, derived: the master key itself only ever encrypts.
    this.#key = masterKey && createHmac('sha256', masterKey).update('openviber port links v1').digest();
    this.#problem = problem;
  }

  get problem(): string | undefined {
    return this.#key ? undefined : (this.#problem ?? 'the gateway has no master key');
  }

  mint(input: { viberId: string; port: number; deviceId: string; expiresAt: Date }): string {
    if (!this.#key) throw new Error(`ports cannot be opened: ${this.problem}`);
    const payload: Payload = {
      v: input.viberId,
      p: input.port,
      d: input.deviceId,
      e: Math.floor(input.expiresAt.getTime() / 1000),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.#sign(body)}`;
  }

  /** Whether `token` opens `port` of `viberId` now. 401: no valid token; 403: a valid one for something else. */
  check(token: string, viberId: string, port: number, now = new Date()): LinkCheck {
    const refused = (message: string): LinkCheck => ({ ok: false, status: 401, message });
    if (!this.#key) return refused(`port links cannot be checked: ${this.problem}`);
    if (token.length > MAX_TOKEN_CHARS) return refused('the link holds no valid port token');
    const [body = '', signature = '', extra] = token.split('.');
    if (extra !== undefined || !body || !signature) return refused('the link holds no valid port token');
    const expected = Buffer.from(this.#sign(body));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return refused(
        'the link holds no valid port token (it was not issued by this gateway, or was altered)',
      );
    let payload: Payload;
    try {
      payload = PayloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      return refused('the link holds no valid port token');
    }
    if (payload.v !== viberId || payload.p !== port) {
      return {
        ok: false,
        status: 403,
        message: `this link opens port ${payload.p} of viber ${payload.v}, not port ${port} of viber ${viberId}`,
      };
    }
    const expiresAt = new Date(payload.e * 1000);
    if (expiresAt <= now)
      return refused(`the link expired at ${expiresAt.toISOString()}: open the port again`);
    return { ok: true, deviceId: payload.d, expiresAt };
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#key!).update(body).digest('base64url');
  }
}
