import { randomBytes } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import type {
  CreateSessionBody,
  LoginCodeResponse,
  OperatorScope,
  SessionChallenge,
} from '../../protocol/index.ts';
import { checkDeviceProof } from '../auth/device-signature.ts';
import type { ConnectionSource, DeviceService } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { hashToken } from '../auth/token-hash.ts';
import type { DeviceRecord, SessionsStore } from '../store/index.ts';

/** A login code works once, for a short while: long enough to click the link `viber up` printed. */
export const LOGIN_CODE_TTL_MS = 10 * 60_000;
/** A board session lasts a working week; signing out ends it at once. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60_000;

export interface IssuedSession {
  /** The cookie value; the store keeps only its hash. */
  token: string;
  expiresAt: string;
}

const secret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;

/**
 * Board sign-in: one-time login codes (minted by an operator, e.g. `viber up`) and the browser
 * sessions they, or the operator token typed by hand, are exchanged for. The browser becomes a
 * paired operator device: keyed when it proves a WebCrypto Ed25519 key over a challenge nonce,
 * else a keyless one for this sign-in. It gets the scopes of the credential it signed in with.
 * Codes and sessions are 256-bit random secrets stored only as SHA-256 hashes, with an expiry.
 */
export class BoardSessions {
  readonly #store: SessionsStore;
  readonly #auth: GatewayAuth;
  readonly #devices: DeviceService;
  readonly #now: () => number;

  constructor(store: SessionsStore, auth: GatewayAuth, devices: DeviceService, now: () => number = Date.now) {
    this.#store = store;
    this.#auth = auth;
    this.#devices = devices;
    this.#now = now;
  }

  challenge(): SessionChallenge {
    return { nonce: this.#devices.nonces.issue(), ts: this.#now() };
  }

  /** A sign-in link for a new browser, granting the minting operator's own scopes. */
  async mintLoginCode(scopes: readonly OperatorScope[]): Promise<LoginCodeResponse> {
    await this.#store.purgeBoardSecrets(new Date(this.#now()).toISOString());
    const minted = await this.#devices.mintCode('operator', scopes, LOGIN_CODE_TTL_MS);
    return { code: minted.code, path: `/login#code=${minted.code}`, expiresAt: minted.expiresAt };
  }

  /**
   * Exchanges a login code (used up here) or the operator token for a new session. The device
   * proof is checked first, so a bad one does not burn the code.
   */
  async signIn(
    body: CreateSessionBody,
    source: ConnectionSource,
  ): Promise<IssuedSession & { device: DeviceRecord }> {
    const key = this.#checkProof(body);
    let scopes: readonly OperatorScope[];
    if ('code' in body) {
      const code = await this.#store.consumeLoginCode(
        hashToken(body.code),
        new Date(this.#now()).toISOString(),
      );
      if (code?.role !== 'operator') {
        throw new OpenViberError(
          'unauthorized',
          'this sign-in link was already used or has expired: run `viber login-link` for a new one, or paste the operator token',
          401,
        );
      }
      scopes = code.scopes;
    } else {
      const result = await this.#auth.authenticate({ authorization: `Bearer ${body.token}`, source });
      if (!result.ok || result.principal.role !== 'operator') {
        throw new OpenViberError('unauthorized', 'that is not an operator token', 401);
      }
      scopes = [...result.principal.scopes];
    }
    const device = await this.#devices.pairBrowser({ ...key, scopes, source });
    return { ...(await this.#issue(device.id)), device };
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token) await this.#store.deleteBoardSession(hashToken(token));
  }

  /** The browser's key, when it proved one over a nonce of ours; a bad proof refuses the sign-in. */
  #checkProof(body: CreateSessionBody): { keyId?: string; publicKey?: string } {
    if (!body.device && !body.nonce) return {};
    if (!body.device || !body.nonce) {
      throw new OpenViberError(
        'validation_failed',
        'device and nonce go together: sign the challenge nonce',
        400,
      );
    }
    const use = this.#devices.nonces.use(body.nonce);
    if (use !== 'ok') {
      const why =
        use === 'replayed' ? 'this challenge was already used' : 'this challenge is unknown or has lapsed';
      throw new OpenViberError('unauthorized', `${why}: ask for a new one`, 401);
    }
    const proof = checkDeviceProof(
      body.device,
      { role: 'operator', scopes: [], nonce: body.nonce },
      this.#now(),
    );
    if (!proof.ok) throw new OpenViberError('unauthorized', `${proof.code}: ${proof.message}`, 401);
    return { keyId: body.device.id, publicKey: body.device.publicKey };
  }

  async #issue(deviceId: string): Promise<IssuedSession> {
    const now = this.#now();
    const token = secret('ovs');
    const expiresAt = new Date(now + SESSION_TTL_MS).toISOString();
    await this.#store.insertBoardSession({
      hash: hashToken(token),
      createdAt: new Date(now).toISOString(),
      expiresAt,
      deviceId,
    });
    return { token, expiresAt };
  }
}
