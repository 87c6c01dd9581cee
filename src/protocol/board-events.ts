import { z } from 'zod';
import { DeviceProofSchema, DeviceRoleSchema, NonceSchema } from './device.ts';
import { BindingLogLineSchema, BindingViewSchema, EnvironmentPillSchema } from './environment-rest.ts';
import { OperatorScopeSchema } from './operator-scopes.ts';
import { TaskViewSchema, ViberViewSchema } from './rest.ts';

/**
 * The board's push-event channel, `GET /api/events` (server-sent events), and its sign-in bodies.
 *
 * Events are push-only (architecture document, section 7): each SSE event carries `id: <n>`,
 * counting from 1 on every connection, and one JSON object as its data. Nothing is replayed: a
 * client that connects, or connects again after a drop, waits for `events.ready` and then
 * refetches the state it shows (`GET /api/tasks`, `GET /api/vibers`, `GET /api/environments`, an
 * open preparation log). A client that falls too far behind is disconnected, so it reconnects
 * and refetches; a connection never has gaps.
 */

/** What a running task is doing right now (the daemon's `task:progress` status). */
export const TaskActivitySchema = z.enum(['thinking', 'tool', 'awaiting-approval', 'idle']);
export type TaskActivity = z.infer<typeof TaskActivitySchema>;

export const BoardEventSchema = z.discriminatedUnion('type', [
  /** First event of every connection: subscribed; refetch now. Activities of running tasks. */
  z.object({
    type: z.literal('events.ready'),
    activities: z.record(z.string(), TaskActivitySchema),
    heartbeatMs: z.number().int().positive(),
  }),
  z.object({ type: z.literal('task.created'), task: TaskViewSchema }),
  /** Status, usage, stop request or activity changed. `activity` is null once the task ended. */
  z.object({
    type: z.literal('task.updated'),
    task: TaskViewSchema,
    activity: TaskActivitySchema.nullable(),
  }),
  /** Registered, connected, disconnected, heartbeat, busy/idle, or a new config validation. */
  z.object({ type: z.literal('viber.updated'), viber: ViberViewSchema }),
  z.object({ type: z.literal('viber.revoked'), viberId: z.string() }),
  /**
   * A binding changed (mapped, preparing, ready, error, stale): `binding` is its new view. Or the
   * environment itself was created or edited: `binding` is null, refetch the environment.
   * `status` is the environment's pill after the change.
   */
  z.object({
    type: z.literal('environment.updated'),
    environmentId: z.string(),
    status: EnvironmentPillSchema,
    binding: BindingViewSchema.nullable(),
  }),
  z.object({ type: z.literal('environment.removed'), environmentId: z.string() }),
  /** One preparation log line as stored: redacted by the daemon, and again by the gateway. */
  z.object({ type: z.literal('environment.log'), bindingId: z.string(), line: BindingLogLineSchema }),
  /** A device asked to pair, was approved, rejected, revoked or rotated: refetch the devices. */
  z.object({ type: z.literal('devices.changed'), deviceId: z.string() }),
  /**
   * A scheduled job was created, changed or deleted (`runId` null), or one of its runs was
   * recorded (`runId`): refetch the jobs shown. A run's task status comes as `task.updated`.
   */
  z.object({ type: z.literal('job.changed'), jobId: z.string(), runId: z.string().nullable() }),
  /**
   * A chat channel, one of its senders or deliveries changed (docs/channels.md): refetch the
   * channels shown.
   */
  z.object({ type: z.literal('channel.changed'), channelId: z.string().nullable() }),
]);
export type BoardEvent = z.infer<typeof BoardEventSchema>;
export type BoardEventType = BoardEvent['type'];

/** The cookie that carries a board session (HttpOnly, SameSite=Strict). */
export const BOARD_SESSION_COOKIE = 'openviber_session';

/**
 * `POST /api/session`: a one-time login code, or the operator token typed by hand, exchanged for
 * the session cookie. A board with a device key (WebCrypto Ed25519, kept non-extractable in
 * IndexedDB) signs the nonce of `POST /api/session/challenge` as in the connect handshake (role
 * `operator`, no scopes requested): the browser becomes that paired device, and signing in again
 * from it is the same device. Without a key the sign-in pairs a keyless browser device.
 */
const SignInDeviceSchema = z.object({ device: DeviceProofSchema, nonce: NonceSchema }).partial();
export const CreateSessionBodySchema = z.union([
  z.strictObject({ code: z.string().trim().min(1).max(200), ...SignInDeviceSchema.shape }),
  z.strictObject({ token: z.string().trim().min(1).max(500), ...SignInDeviceSchema.shape }),
]);
export type CreateSessionBody = z.infer<typeof CreateSessionBodySchema>;

/** `POST /api/session/challenge`: a nonce to sign for the sign-in, good once for two minutes. */
export const SessionChallengeSchema = z.object({ nonce: NonceSchema, ts: z.number().int() });
export type SessionChallenge = z.infer<typeof SessionChallengeSchema>;

/** `GET /api/session` and the answer to `POST /api/session`. */
export const SessionViewSchema = z.object({
  /** How this request was authenticated. */
  via: z.enum(['session', 'bearer']),
  /** When the session cookie stops working (null for a bearer token). */
  expiresAt: z.string().nullable(),
  /** The paired device this caller is. */
  deviceId: z.string(),
  role: DeviceRoleSchema,
  /** What it may do: the board hides what it may not. */
  scopes: z.array(OperatorScopeSchema),
});
export type SessionView = z.infer<typeof SessionViewSchema>;

/** `POST /api/login-codes`: a one-time code; open `<gateway url><path>` in a browser to sign in. */
export const LoginCodeResponseSchema = z.object({
  code: z.string(),
  /** `/login#code=<code>`: the fragment keeps the code out of server logs and Referer headers. */
  path: z.string(),
  expiresAt: z.string(),
});
export type LoginCodeResponse = z.infer<typeof LoginCodeResponseSchema>;
