/**
 * How deep one stream chunk may nest. Chunks carry model-shaped values (tool inputs and outputs,
 * data parts), so the bound is generous, but it must stay below two hard limits further down the
 * line: SQLite's JSON functions refuse text nested deeper than 1,000 levels, and V8's recursive
 * JSON.stringify overflows the default stack a few thousand levels down (fine at 1,500, a
 * RangeError by 5,000 on Node 24). 512 is half the tighter of the two; the AI SDK's own chunks
 * wrap a value in at most three levels.
 */
const MAX_CHUNK_DEPTH = 512;

/**
 * Limits announced to daemons in the `welcome` message and enforced at every boundary.
 * One place, so the gateway, the daemon and the tests agree on them.
 */
export const LIMITS = {
  /** Largest WebSocket frame the gateway accepts from a daemon (bytes). */
  maxFrameBytes: 1024 * 1024,
  /**
   * Largest frame the gateway still reads (bytes). A frame between maxFrameBytes and this is read
   * only to be refused on its own: a task event among them is dropped with an error event on its
   * task and the connection carries on. A larger one closes the connection (1009) unread.
   */
  maxFrameReadBytes: 4 * 1024 * 1024,
  /** Largest REST request body (bytes). */
  maxBodyBytes: 256 * 1024,
  /** Largest goal or follow-up message (characters). */
  maxMessageChars: 100_000,
  /** Largest terminal input in one message (characters). */
  maxTerminalInputChars: 16 * 1024,
  /**
   * Longest final answer a `task:completed` carries (characters); a longer one is clipped with a
   * note, the whole text being in the task's stream. JSON escaping makes a character at most 6
   * bytes, so a clipped result always fits in a frame of maxFrameBytes.
   */
  maxResultChars: 100_000,
  /**
   * Deepest nesting of a REST body or a tool call's input. Their schemas are at most 5 levels
   * deep; the rest of the bound is headroom, not a use.
   */
  maxJsonDepth: 64,
  /** Deepest nesting of one stream chunk (see MAX_CHUNK_DEPTH). */
  maxChunkDepth: MAX_CHUNK_DEPTH,
  /** Deepest nesting of a WebSocket frame: a chunk at maxChunkDepth inside its task event. */
  maxFrameDepth: MAX_CHUNK_DEPTH + 1,
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
