import type { DaemonMetrics } from '../../protocol/index.ts';
import { FixedHistogram } from './histogram.ts';

/**
 * Relay latency buckets, in seconds: from 0.1 ms (a chunk written in the turn it arrived) to 5 s
 * (a stalled store). Fixed, so observing one is a loop over 14 numbers.
 */
export const RELAY_LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
] as const;

/** Why a caller was refused; a bounded set, so the label never grows with input. */
export type AuthFailureReason =
  | 'missing_credentials'
  | 'invalid_credentials'
  | 'rate_limited'
  | 'scope_denied'
  | 'cross_origin'
  | 'metrics_token_invalid'
  | 'handshake_refused';

/**
 * Why the gateway refused a `task:delegate` (docs/delegation.md); a bounded set, so the label never
 * grows with input: the parent task is unknown, not the asking viber's or not running; the tree is
 * too deep or too big; the viber or environment named does not exist, or the viber named lacks what
 * was asked; that viber is offline; no online viber has what was asked; anything else.
 */
export const DELEGATION_REFUSAL_REASONS = [
  'parent',
  'depth',
  'tree_size',
  'not_found',
  'mismatch',
  'viber_offline',
  'no_viber',
  'other',
] as const;
export type DelegationRefusalReason = (typeof DELEGATION_REFUSAL_REASONS)[number];

/** What a viber's last heartbeat said of its own work. */
export interface ViberReport {
  runningTasks: number;
  metrics: DaemonMetrics | undefined;
}

/**
 * The gateway's own counters, one instance per gateway: plain numbers the hot path increments in
 * place (no allocation per chunk), and the latest heartbeat figures of each connected viber.
 * `GET /metrics` reads them with what is counted elsewhere (connections, streams, the store).
 */
export class GatewayMetrics {
  /** Task events the durable log stored (duplicates dropped before: not counted). */
  eventsStored = 0;
  /** Stream chunks written to SSE readers, one per reader. */
  eventsRelayed = 0;
  /** Store transactions that failed and were rolled back. */
  storeErrors = 0;
  readonly relayLatency = new FixedHistogram(RELAY_LATENCY_BUCKETS);
  readonly authFailures = new Map<AuthFailureReason, number>();
  /** Child tasks started by `task:delegate` (a request sent again is not counted twice). */
  delegationsStarted = 0;
  readonly delegationRefusals = new Map<DelegationRefusalReason, number>();
  readonly #vibers = new Map<string, ViberReport>();

  authFailed(reason: AuthFailureReason): void {
    this.authFailures.set(reason, (this.authFailures.get(reason) ?? 0) + 1);
  }

  delegationRefused(reason: DelegationRefusalReason): void {
    this.delegationRefusals.set(reason, (this.delegationRefusals.get(reason) ?? 0) + 1);
  }

  /** A chunk that arrived at `arrivedAt` (performance.now()) was written to a reader now. */
  relayed(arrivedAt: number): void {
    this.relayLatency.observe((performance.now() - arrivedAt) / 1000);
  }

  /** A viber's heartbeat: its running tasks and, from daemons that send them, its own counters. */
  heartbeat(viberId: string, runningTasks: number, metrics: DaemonMetrics | undefined): void {
    this.#vibers.set(viberId, { runningTasks, metrics });
  }

  /** The last report of each viber since this gateway started (the output keeps connected ones). */
  get vibers(): ReadonlyMap<string, ViberReport> {
    return this.#vibers;
  }
}
