import { randomInt } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import { newId, newToken } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import {
  CONNECT_TIMEOUT_MS,
  type ConnectRefusalCode,
  type ConnectRequest,
  type DeviceRole,
  type DeviceView,
  type OperatorScope,
  PAIRING_TTL_MS,
  PROTOCOL_VERSION,
  type ProtocolExtension,
  ProtocolExtensionSchema,
  WS_CLOSE,
} from '../../protocol/index.ts';
import type {
  DevicePageKey,
  DeviceQuery,
  DeviceRecord,
  DevicesStore,
  Page,
  SessionsStore,
  VibersStore,
} from '../store/index.ts';
import { checkDeviceProof } from './device-signature.ts';
import type { DeviceSockets } from './device-sockets.ts';
import { deviceKey, type FailureLimiter, sourceKey } from './failure-limiter.ts';
import type { NonceBook } from './nonce-book.ts';
import { ALL_OPERATOR_SCOPES, type Principal } from './principal.ts';
import { hashToken } from './token-hash.ts';

/** Where a connection came from. Loopback only when direct: a proxied request never is. */
export interface ConnectionSource {
  address: string;
  loopback: boolean;
}

export type Refusal = { code: ConnectRefusalCode; message: string; retryAfterMs?: number };
/** What the handshake answers: accepted (maybe with a new token), pairing (wait), or refused. */
export type ConnectDecision =
  | {
      kind: 'ok';
      principal: Principal;
      deviceToken?: string;
      protocolVersion: number;
      extensions: ProtocolExtension[];
    }
  | {
      kind: 'pairing';
      device: DeviceRecord;
      decided: Promise<ConnectDecision>;
      /**
       * The waiting socket went away: stop waiting for it. Without this an approval would still
       * issue the device's token to the gone socket, and the device could never collect it.
       */
      abandon(): void;
    }
  | ({ kind: 'refused' } & Refusal);

export type AuthResult =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      status: 401 | 403 | 429;
      code: 'unauthorized' | 'forbidden' | 'rate_limited';
      message: string;
      retryAfterMs?: number;
    };

export interface DeviceServiceDeps {
  store: DevicesStore &
    Pick<SessionsStore, 'insertLoginCode' | 'consumeLoginCode'> &
    Pick<VibersStore, 'insertViber'>;
  sockets: DeviceSockets;
  limiter: FailureLimiter;
  nonces: NonceBook;
  log: Logger;
  /** Pair a node connecting directly over loopback without asking (default true). */
  autoApproveLoopbackNodes?: boolean;
  /** How long a socket has to send its `connect` (default CONNECT_TIMEOUT_MS; tests shorten it). */
  connectTimeoutMs?: number;
  now?: () => number;
}

/** `superseded`: a newer socket of the same device took over its request (one waits per device). */
type Outcome = 'approved' | 'rejected' | 'expired' | 'superseded';
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * Devices: pairing, tokens, and who a caller is. Tokens are random, issued per device, kept only
 * as SHA-256 hashes, one live token per device. A keyed device proves its key on every socket;
 * over REST its token is a bearer credential, as the operator token always was.
 */
export class DeviceService {
  readonly #deps: DeviceServiceDeps;
  readonly #now: () => number;
  /** Handshakes waiting for an operator's decision, by device id. */
  readonly #waiting = new Map<string, Set<(outcome: Outcome) => void>>();
  /** Sockets refused in the connect handshake since the gateway started, by code (`/metrics`). */
  readonly handshakeRefusals = new Map<ConnectRefusalCode, number>();

  constructor(deps: DeviceServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** A connect handshake was refused with `code`. */
  handshakeRefused(code: ConnectRefusalCode): void {
    this.handshakeRefusals.set(code, (this.handshakeRefusals.get(code) ?? 0) + 1);
  }

  get nonces(): NonceBook {
    return this.#deps.nonces;
  }

  /** How long a socket has to finish its `connect` once challenged. */
  get connectTimeoutMs(): number {
    return this.#deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  }

  // ---- who is calling (REST and the board session) ----

  /** A bearer token: a device token (the operator token of the token era is one too). */
  async authenticateToken(token: string, source: ConnectionSource): Promise<AuthResult> {
    const found = await this.#deps.store.findDeviceToken(hashToken(token));
    if (!found) return this.#failed(sourceKey(source.address), 'invalid token');
    const { device } = found;
    if (found.token.revokedAt || device.status !== 'paired') {
      const why =
        device.status === 'revoked' ? `${nameOf(device)} was revoked` : 'this token was replaced (rotated)';
      return this.#failed(deviceKey(device.id), why);
    }
    await this.#deps.store.touchDeviceToken(found.token.hash, this.#iso());
    return { ok: true, principal: principalOf(device, 'bearer') };
  }

  /** The device a board session belongs to, if it is still paired. */
  async principalOfSession(deviceId: string, expiresAt: string): Promise<AuthResult> {
    const device = await this.#deps.store.getDevice(deviceId);
    if (device?.status !== 'paired') {
      return {
        ok: false,
        status: 401,
        code: 'unauthorized',
        message: 'this browser was revoked: sign in again',
      };
    }
    return { ok: true, principal: { ...principalOf(device, 'session'), sessionExpiresAt: expiresAt } };
  }

  #failed(key: string, message: string): AuthResult {
    const retryAfterMs = this.#deps.limiter.retryAfter(key);
    this.#deps.limiter.fail(key);
    if (retryAfterMs > 0) {
      return {
        ok: false,
        status: 429,
        code: 'rate_limited',
        message: 'too many failed sign-ins: wait and retry',
        retryAfterMs,
      };
    }
    return { ok: false, status: 401, code: 'unauthorized', message };
  }

  // ---- the connect handshake ----

  /**
   * Decides a `connect` answered to this socket's challenge. Checks run cheapest first and in an
   * order that gives each refusal its own code; none of them changes anything.
   */
  async connect(
    request: ConnectRequest,
    context: {
      nonce: string;
      source: ConnectionSource;
      role: DeviceRole;
      /** Who the upgrade's own credentials (the board's session cookie) said: the device must be it. */
      upgraded?: Principal;
    },
  ): Promise<ConnectDecision> {
    const refuse = (code: ConnectRefusalCode, message: string, retryAfterMs?: number): ConnectDecision => ({
      kind: 'refused',
      code,
      message,
      ...(retryAfterMs ? { retryAfterMs } : {}),
    });
    if (request.minProtocol > PROTOCOL_VERSION || request.maxProtocol < PROTOCOL_VERSION) {
      return refuse(
        'protocol_mismatch',
        `this gateway speaks protocol ${PROTOCOL_VERSION}; the client asked for ${request.minProtocol}-${request.maxProtocol}`,
      );
    }
    if (request.role !== context.role) {
      return refuse('scope_denied', `this socket is for the ${context.role} role, not ${request.role}`);
    }
    const nonceUse = this.#deps.nonces.use(request.nonce, context.nonce);
    if (nonceUse !== 'ok') {
      return refuse(
        nonceUse === 'replayed' ? 'replayed_nonce' : 'bad_handshake',
        nonceUse === 'replayed' ? 'this nonce was already used' : "the nonce is not this socket's challenge",
      );
    }
    const known = await this.#deps.store.findDeviceByKeyId(request.device.id);
    // A key nobody paired is a stranger: strangers from a noisy source wait, paired devices never do.
    if (known?.status !== 'paired') {
      const retryAfterMs = this.#deps.limiter.retryAfter(sourceKey(context.source.address));
      if (retryAfterMs > 0)
        return refuse('rate_limited', 'too many failed handshakes from this address', retryAfterMs);
    }
    const proof = checkDeviceProof(
      request.device,
      { role: request.role, scopes: request.scopes, nonce: request.nonce },
      this.#now(),
    );
    if (!proof.ok) {
      this.#deps.limiter.fail(
        known?.status === 'paired' ? deviceKey(known.id) : sourceKey(context.source.address),
      );
      return refuse(proof.code, proof.message);
    }
    const device = known ?? (await this.#keylessDeviceOf(request, context.upgraded));
    const decision = await this.#decide(device, request, context);
    if (decision.kind === 'refused' && device) this.#deps.limiter.fail(deviceKey(device.id));
    if (decision.kind === 'ok') this.#deps.limiter.succeed(deviceKey(decision.principal.deviceId));
    return decision;
  }

  /**
   * A token-era device (no key: the operator token, a viber added by hand) is known by its token
   * alone; the key's signature still proves the answer is fresh. The key is not bound to it, as
   * every client on the gateway's machine may hold the operator token.
   */
  async #keylessDeviceOf(request: ConnectRequest, upgraded?: Principal): Promise<DeviceRecord | null> {
    if (upgraded) {
      const device = await this.#deps.store.getDevice(upgraded.deviceId);
      return device?.keyId === null ? device : null;
    }
    if (!request.token) return null;
    const found = await this.#deps.store.findDeviceToken(hashToken(request.token));
    return found && found.device.keyId === null ? found.device : null;
  }

  async #decide(
    device: DeviceRecord | null,
    request: ConnectRequest,
    context: { source: ConnectionSource; upgraded?: Principal },
  ): Promise<ConnectDecision> {
    const refuse = (code: ConnectRefusalCode, message: string): ConnectDecision => ({
      kind: 'refused',
      code,
      message,
    });
    if (device?.status === 'revoked') return refuse('revoked', `${nameOf(device)} was revoked`);
    if (device?.status === 'pending') {
      if (device.expiresAt && device.expiresAt <= this.#iso()) {
        await this.#deps.store.deletePendingDevice(device.id);
        return this.#decide(null, request, context);
      }
      // The device now brings a pairing code: a valid one replaces its waiting request.
      if (request.pairingCode) return this.#newDevice(request, context.source, device);
      this.#tell(device.id, 'superseded');
      return { kind: 'pairing', device, ...this.#awaitDecision(device.id, request) };
    }
    if (!device) return this.#newDevice(request, context.source);
    if (device.role !== request.role) {
      return refuse('scope_denied', `device ${device.id} is paired as ${device.role}, not ${request.role}`);
    }
    const held = context.upgraded ? [...context.upgraded.scopes] : device.scopes;
    const denied = request.scopes.filter((scope) => !held.includes(scope));
    if (denied.length > 0)
      return refuse('scope_denied', `device ${device.id} does not hold ${denied.join(', ')}`);
    let deviceToken: string | undefined;
    if (context.upgraded) {
      if (context.upgraded.deviceId !== device.id) {
        return refuse('unauthorized', 'the signing key is not the key of the signed-in device');
      }
    } else if (device.tokenPending || (await this.#tokenNeverArrived(device, request))) {
      deviceToken = await this.#issueToken(device.id);
    } else {
      const found = request.token ? await this.#deps.store.findDeviceToken(hashToken(request.token)) : null;
      if (!found || found.device.id !== device.id)
        return refuse('unauthorized', "the device token is missing or not this device's");
      if (found.token.revokedAt)
        return refuse('unauthorized', 'the device token was replaced (rotated): pair again');
      await this.#deps.store.touchDeviceToken(found.token.hash, this.#iso());
    }
    await this.#deps.store.updateDevice(device.id, { lastSeenAt: this.#iso() });
    const granted = request.scopes.length > 0 ? request.scopes : held;
    return {
      kind: 'ok',
      principal: { ...principalOf({ ...device, scopes: granted }, 'socket') },
      ...(deviceToken ? { deviceToken } : {}),
      protocolVersion: PROTOCOL_VERSION,
      extensions: negotiatedExtensions(request.extensions),
    };
  }

  /**
   * A keyed device asking without a token, whose token was issued but never used: the answer that
   * carried it was lost (its socket closed as it was sent). Its signature proves the key, so it
   * collects a new one instead of being locked out.
   */
  async #tokenNeverArrived(device: DeviceRecord, request: ConnectRequest): Promise<boolean> {
    if (request.token || !device.keyId) return false;
    const live = await this.#deps.store.liveDeviceToken(device.id);
    return live !== null && live.lastUsedAt === null;
  }

  /** An unknown key: paired at once by a one-time code or a direct loopback node, else pending. */
  async #newDevice(
    request: ConnectRequest,
    source: ConnectionSource,
    pending?: DeviceRecord,
  ): Promise<ConnectDecision> {
    if (request.pairingCode) {
      const code = await this.#deps.store.consumeLoginCode(hashToken(request.pairingCode), this.#iso());
      if (!code || code.role !== request.role) {
        return {
          kind: 'refused',
          code: 'pairing_code_invalid',
          message:
            'this pairing code was already used, has expired, or is for another role: mint a new one on the board',
        };
      }
      if (pending) {
        this.#tell(pending.id, 'superseded');
        await this.#deps.store.deletePendingDevice(pending.id);
      }
      await this.#insertPending(request, source, code.scopes);
      await this.approve(request.device.id, {});
      return this.#decide(await this.#deps.store.getDevice(request.device.id), request, { source });
    }
    if (request.token) {
      // A token some other key holds names a device, just not this one; any other is a guess.
      if (await this.#deps.store.findDeviceToken(hashToken(request.token))) {
        const message = 'the token does not belong to this device key: run `viber login`';
        return { kind: 'refused', code: 'unknown_device', message };
      }
      this.#deps.limiter.fail(sourceKey(source.address));
      return { kind: 'refused', code: 'unauthorized', message: 'invalid token' };
    }
    const device = await this.#insertPending(request, source, request.scopes);
    if (request.role === 'node' && source.loopback && (this.#deps.autoApproveLoopbackNodes ?? true)) {
      await this.approve(device.id, {});
      this.#deps.log.info({ deviceId: device.id }, 'node device paired automatically (direct loopback)');
      return this.#decide(await this.#deps.store.getDevice(device.id), request, { source });
    }
    this.#deps.log.info(
      { deviceId: device.id, source: source.address, role: request.role },
      'pairing requested',
    );
    return { kind: 'pairing', device, ...this.#awaitDecision(device.id, request) };
  }

  async #insertPending(request: ConnectRequest, source: ConnectionSource, scopes: readonly OperatorScope[]) {
    const now = this.#now();
    const device: DeviceRecord = {
      id: request.device.id,
      keyId: request.device.id,
      publicKey: request.device.publicKey,
      name: request.name ?? `${request.role} ${request.device.id.slice(0, 8)}`,
      role: request.role,
      scopes: request.role === 'operator' ? [...(scopes.length > 0 ? scopes : defaultOperatorScopes())] : [],
      status: 'pending',
      viberId: null,
      pairingCode: pairingCode(),
      source: source.address,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + PAIRING_TTL_MS).toISOString(),
      decidedAt: null,
      lastSeenAt: null,
      tokenPending: false,
    };
    await this.#deps.store.insertDevice(device);
    return device;
  }

  /**
   * Resolves when an operator decides, or the request lapses; the decision then runs as a new
   * connect would. `abandon` (the socket closed) stops waiting and changes nothing: the request
   * stays pending, and once approved the device collects its token on its next signed connect.
   */
  #awaitDecision(
    deviceId: string,
    request: ConnectRequest,
  ): { decided: Promise<ConnectDecision>; abandon: () => void } {
    let abandon = () => {};
    const outcome = new Promise<Outcome | 'abandoned'>((resolve) => {
      const waiters = this.#waiting.get(deviceId) ?? new Set();
      this.#waiting.set(deviceId, waiters);
      let done = false;
      const timer = setTimeout(() => finish('expired'), PAIRING_TTL_MS);
      timer.unref();
      const finish = (result: Outcome | 'abandoned') => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        waiters.delete(finish);
        if (waiters.size === 0 && this.#waiting.get(deviceId) === waiters) this.#waiting.delete(deviceId);
        resolve(result);
      };
      waiters.add(finish);
      abandon = () => finish('abandoned');
    });
    const decided = outcome.then(async (outcome): Promise<ConnectDecision> => {
      if (outcome === 'abandoned')
        return { kind: 'refused', code: 'bad_handshake', message: 'the socket closed while waiting' };
      if (outcome === 'rejected')
        return { kind: 'refused', code: 'pairing_rejected', message: 'an operator rejected this device' };
      if (outcome === 'superseded') {
        const message = 'a newer connection of this device took over its pairing request';
        return { kind: 'refused', code: 'pairing_expired', message };
      }
      if (outcome === 'expired') {
        await this.#deps.store.deletePendingDevice(deviceId);
        return {
          kind: 'refused',
          code: 'pairing_expired',
          message: 'nobody approved this device in time: try again',
        };
      }
      const device = await this.#deps.store.getDevice(deviceId);
      return this.#decide(device, request, { source: { address: '', loopback: false } });
    });
    return { decided, abandon };
  }

  #tell(deviceId: string, outcome: Outcome): void {
    for (const waiter of [...(this.#waiting.get(deviceId) ?? [])]) waiter(outcome);
  }

  // ---- operator actions ----

  /** A page of devices (DevicesStore.devicePage), lapsed pairing requests purged first. */
  async page(query: DeviceQuery): Promise<Page<DeviceView, DevicePageKey>> {
    await this.#deps.store.purgeLapsedPairings(this.#iso());
    const page = await this.#deps.store.devicePage(query);
    return { items: await Promise.all(page.items.map((device) => this.#view(device))), next: page.next };
  }

  async view(deviceId: string): Promise<DeviceView> {
    return this.#view(await this.#get(deviceId));
  }

  /** Pairs a pending device: a node gets a viber; the device collects its token signed. */
  async approve(deviceId: string, body: { scopes?: OperatorScope[]; name?: string }): Promise<DeviceView> {
    const device = await this.#get(deviceId);
    if (device.status !== 'pending') {
      throw new OpenViberError('conflict', `device ${deviceId} is ${device.status}, not pending`, 409);
    }
    if (device.expiresAt && device.expiresAt <= this.#iso()) {
      await this.#deps.store.deletePendingDevice(deviceId);
      throw new OpenViberError('conflict', `the pairing request of device ${deviceId} has expired`, 409);
    }
    const name = body.name ?? device.name;
    let viberId = device.viberId;
    if (device.role === 'node' && !viberId) {
      viberId = newId('viber');
      await this.#deps.store.insertViber({ id: viberId, name, createdAt: this.#iso() });
    }
    const scopes = device.role === 'operator' ? (body.scopes ?? device.scopes) : [];
    const approved = await this.#deps.store.updateDevice(deviceId, {
      status: 'paired',
      name,
      scopes,
      viberId,
      pairingCode: null,
      expiresAt: null,
      decidedAt: this.#iso(),
      tokenPending: true,
    });
    this.#deps.log.info({ deviceId, role: device.role, viberId }, 'device paired');
    this.#tell(deviceId, 'approved');
    return this.#view(approved!);
  }

  async reject(deviceId: string): Promise<{ id: string; rejected: true }> {
    const device = await this.#get(deviceId);
    if (device.status !== 'pending' || !(await this.#deps.store.deletePendingDevice(deviceId))) {
      throw new OpenViberError('conflict', `device ${deviceId} is ${device.status}, not pending`, 409);
    }
    this.#deps.log.info({ deviceId }, 'pairing rejected');
    this.#tell(deviceId, 'rejected');
    return { id: deviceId, rejected: true };
  }

  /** Revokes every token of the device and closes its live sockets. */
  async revoke(deviceId: string): Promise<DeviceView> {
    const device = await this.#get(deviceId);
    if (device.status === 'pending') return this.reject(deviceId).then(() => this.#viewGone(device));
    if (device.status === 'revoked')
      throw new OpenViberError('conflict', `device ${deviceId} is already revoked`, 409);
    const revoked = await this.#deps.store.revokeDeviceTokens(deviceId, this.#iso(), {
      status: 'revoked',
      decidedAt: this.#iso(),
      tokenPending: false,
    });
    const closed = this.#deps.sockets.closeAll(deviceId, WS_CLOSE.unauthorized, 'this device was revoked');
    this.#deps.log.info({ deviceId, closedSockets: closed }, 'device revoked');
    return this.#view(revoked!);
  }

  /** A new token: a keyed device collects it on its next signed connect; a keyless one gets it here. */
  async rotate(deviceId: string): Promise<{ device: DeviceView; token?: string }> {
    const device = await this.#get(deviceId);
    if (device.status !== 'paired')
      throw new OpenViberError('conflict', `device ${deviceId} is ${device.status}, not paired`, 409);
    let token: string | undefined;
    if (device.keyId) {
      await this.#deps.store.revokeDeviceTokens(deviceId, this.#iso(), { tokenPending: true });
    } else {
      token = await this.#issueToken(deviceId);
    }
    this.#deps.sockets.closeAll(deviceId, WS_CLOSE.unauthorized, 'this device token was rotated: reconnect');
    this.#deps.log.info({ deviceId }, 'device token rotated');
    return { device: await this.view(deviceId), ...(token ? { token } : {}) };
  }

  /** A one-time code that pairs a device of this role on its first connect (or signs a browser in). */
  async mintCode(role: DeviceRole, scopes: readonly OperatorScope[] | undefined, ttlMs: number) {
    const code = newToken('ovc');
    const now = this.#now();
    const granted = role === 'operator' ? [...(scopes ?? defaultOperatorScopes())] : [];
    const expiresAt = new Date(now + ttlMs).toISOString();
    await this.#deps.store.insertLoginCode({
      hash: hashToken(code),
      createdAt: new Date(now).toISOString(),
      expiresAt,
      role,
      scopes: granted,
    });
    return { code, role, scopes: granted, expiresAt };
  }

  // ---- the token era, carried over ----

  /** The operator token is the bootstrap credential: the `operator-token` device's token. */
  async adoptOperatorToken(token: string): Promise<void> {
    const hash = hashToken(token);
    const device = await this.#deps.store.getDevice('operator-token');
    if (device?.status !== 'paired') {
      this.#deps.log.warn('the operator token was revoked on the Devices page: it no longer signs anyone in');
      return;
    }
    const live = await this.#deps.store.liveDeviceToken('operator-token');
    if (live?.hash !== hash) {
      await this.#deps.store.issueDeviceToken({ hash, deviceId: 'operator-token', createdAt: this.#iso() });
    }
  }

  /** `viber vibers add`: a keyless node device for a viber registered by hand, and its token. */
  async issueViberToken(viberId: string, name: string): Promise<string> {
    const id = `viber-${viberId}`;
    await this.#deps.store.insertDevice({
      id,
      keyId: null,
      publicKey: null,
      name,
      role: 'node',
      scopes: [],
      status: 'paired',
      viberId,
      pairingCode: null,
      source: null,
      createdAt: this.#iso(),
      expiresAt: null,
      decidedAt: this.#iso(),
      lastSeenAt: null,
      tokenPending: false,
    });
    return this.#issueToken(id);
  }

  /** A revoked viber's devices are revoked with it. */
  async revokeViberDevices(viberId: string): Promise<void> {
    for (const device of await this.#deps.store.listDevices()) {
      if (device.viberId === viberId && device.status === 'paired') await this.revoke(device.id);
    }
  }

  /** Pairs a browser signing in to the board (a keyed device, or a keyless one per sign-in). */
  async pairBrowser(input: {
    keyId?: string;
    publicKey?: string;
    scopes: readonly OperatorScope[];
    source: ConnectionSource;
  }): Promise<DeviceRecord> {
    if (input.keyId && input.publicKey) {
      const existing = await this.#deps.store.findDeviceByKeyId(input.keyId);
      if (existing?.status === 'revoked') {
        throw new OpenViberError(
          'unauthorized',
          'this browser was revoked: clear its site data to pair again',
          401,
        );
      }
      if (existing?.status === 'paired') {
        if (existing.role !== 'operator')
          throw new OpenViberError('forbidden', 'this key is paired as a node', 403);
        await this.#deps.store.updateDevice(existing.id, { lastSeenAt: this.#iso() });
        return existing;
      }
      if (existing) await this.#deps.store.deletePendingDevice(existing.id);
    }
    const id = input.keyId ?? `browser-${newToken('ovc').slice(4, 20).toLowerCase()}`;
    const device: DeviceRecord = {
      id,
      keyId: input.keyId ?? null,
      publicKey: input.publicKey ?? null,
      name: input.keyId ? `board browser ${input.keyId.slice(0, 8)}` : 'board browser (no device key)',
      role: 'operator',
      scopes: [...input.scopes],
      status: 'paired',
      viberId: null,
      pairingCode: null,
      source: input.source.address,
      createdAt: this.#iso(),
      expiresAt: null,
      decidedAt: this.#iso(),
      lastSeenAt: this.#iso(),
      tokenPending: false,
    };
    await this.#deps.store.insertDevice(device);
    this.#deps.log.info({ deviceId: id }, 'board browser paired');
    return device;
  }

  async #issueToken(deviceId: string): Promise<string> {
    const token = newToken('ovd');
    await this.#deps.store.issueDeviceToken({ hash: hashToken(token), deviceId, createdAt: this.#iso() });
    return token;
  }

  async #get(deviceId: string): Promise<DeviceRecord> {
    const device = await this.#deps.store.getDevice(deviceId);
    if (!device) throw new OpenViberError('not_found', `device ${deviceId} not found`, 404);
    return device;
  }

  async #view(device: DeviceRecord): Promise<DeviceView> {
    const token = await this.#deps.store.liveDeviceToken(device.id);
    return {
      ...viewShape(device),
      tokenCreatedAt: token?.createdAt ?? null,
      tokenLastUsedAt: token?.lastUsedAt ?? null,
      connections: this.#deps.sockets.count(device.id),
    };
  }

  #viewGone(device: DeviceRecord): DeviceView {
    return { ...viewShape(device), status: 'revoked', connections: 0 };
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function viewShape(device: DeviceRecord): Omit<DeviceView, 'connections'> {
  return {
    id: device.id,
    keyId: device.keyId,
    name: device.name,
    role: device.role,
    scopes: device.scopes,
    status: device.status,
    viberId: device.viberId,
    pairingCode: device.pairingCode,
    source: device.source,
    createdAt: device.createdAt,
    expiresAt: device.expiresAt,
    decidedAt: device.decidedAt,
    lastSeenAt: device.lastSeenAt,
    tokenCreatedAt: null,
    tokenLastUsedAt: null,
  };
}

/** How refusals name a device: by its viber for a node, else by its id. */
const nameOf = (device: DeviceRecord): string =>
  device.viberId ? `viber ${device.viberId}` : `device ${device.id}`;

export function principalOf(device: DeviceRecord, via: Principal['via']): Principal {
  return {
    deviceId: device.id,
    role: device.role,
    scopes: new Set(device.role === 'operator' ? device.scopes : []),
    via,
    ...(device.viberId ? { viberId: device.viberId } : {}),
  };
}

/** A new operator device gets every scope but pairing others, unless the operator grants it. */
export function defaultOperatorScopes(): OperatorScope[] {
  return ALL_OPERATOR_SCOPES.filter((scope) => scope !== 'devices.admin');
}

/** The extensions both sides speak: what the client offered that this gateway knows. */
export function negotiatedExtensions(offered: readonly string[]): ProtocolExtension[] {
  return ProtocolExtensionSchema.options.filter((extension) => offered.includes(extension));
}

/** Eight characters from an alphabet without look-alikes, as `ABCD-EFGH`. */
function pairingCode(): string {
  const pick = () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  const half = () => Array.from({ length: 4 }, pick).join('');
  return `${half()}-${half()}`;
}
