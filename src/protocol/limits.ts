/**
 * Limits announced to daemons in the `welcome` message and enforced at every boundary.
 * One place, so the gateway, the daemon and the tests agree on them.
 */
export const LIMITS = {
  /** Largest WebSocket frame the gateway accepts from a daemon (bytes). */
  maxFrameBytes: 1024 * 1024,
  /** Largest REST request body (bytes). */
  maxBodyBytes: 256 * 1024,
  /** Largest goal or follow-up message (characters). */
  maxMessageChars: 100_000,
  /** Largest terminal input in one message (characters). */
  maxTerminalInputChars: 16 * 1024,
} as const;

/** Default timings; every one can be overridden by configuration (tests shorten them). */
export const DEFAULT_TIMINGS = {
  /** Daemon heartbeat interval (protocol document: every 30 s). */
  heartbeatIntervalMs: 30_000,
  /** A viber silent for this many heartbeat intervals is offline (DESIGN.md, rule 5). */
  missedHeartbeatsBeforeOffline: 3,
  /** How long an offline viber has to come back and report its running tasks before they end in `error`. */
  taskGraceMs: 60_000,
  /** Reconnect backoff: first delay, cap, and the jitter fraction. */
  reconnectBaseMs: 500,
  reconnectMaxMs: 30_000,
} as const;
