import type { Hono } from 'hono';
import type { OpenViberHome } from '../core/home.ts';
import type { Logger } from '../core/logger.ts';
import type { GatewayEnv } from './http/route-context.ts';
import type { RegisteredViber } from './vibers/viber-service.ts';

export interface GatewayOptions {
  home: OpenViberHome;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; 0 picks a free one. Default 0. */
  port?: number;
  /** When absent: the token in `gateway/operator-token`, else a new one written there (0600). */
  operatorToken?: string;
  /**
   * A token that lets a scraper read `GET /metrics` and nothing else (at least 16 characters, no
   * spaces). When absent: OPENVIBER_METRICS_TOKEN, else none (operator devices only).
   */
  metricsToken?: string;
  /** Heartbeat interval daemons are told to use (welcome); silence for 3 of them is offline. */
  heartbeatIntervalMs?: number;
  /** How long an offline viber has to come back before its running tasks end in error. */
  taskGraceMs?: number;
  /**
   * Pair a node (daemon) that connects directly over loopback without an operator's approval;
   * default true. A connection through a proxy never counts as loopback.
   */
  autoApproveLoopbackNodes?: boolean;
  /**
   * How long a socket has to answer the connect challenge before it is refused with
   * `handshake_timeout`; default CONNECT_TIMEOUT_MS (10 s). Tests shorten it.
   */
  connectTimeoutMs?: number;
  /**
   * Failed sign-ins allowed per key (an address guessing tokens, or one device's stale token)
   * within the window before `rate_limited`; default 20 per 60 s. Tests lower it.
   */
  authFailureLimit?: { max?: number; windowMs?: number };
  /** Origins allowed to call the API from a browser; none by default. */
  corsOrigins?: string[];
  /**
   * Serve https and wss (instead of http and ws) on the same port with this certificate and its
   * private key, as PEM text (`cert` may carry the chain after the certificate). An unusable pair
   * makes startGateway throw: check it first (the CLI does, in `readTlsFlags`).
   */
  tls?: { cert: string; key: string };
  /**
   * Several gateways (docs/deploy.md, "Scale-out"): a postgres:// URL for the shared store, and a
   * redis:// URL for the bus between them. Without them: the embedded store under the home, and
   * the in-process bus.
   */
  store?: string;
  bus?: string;
  /**
   * The gateway's URL as chat platforms and people reach it (behind a proxy, a tunnel): channel
   * webhook URLs and the task links in channel answers (docs/channels.md). Default:
   * OPENVIBER_PUBLIC_URL, else the URL it listens on.
   */
  publicUrl?: string;
  /**
   * The closest two ticks of one scheduled job may be, in seconds (docs/jobs.md, "How often").
   * Default: OPENVIBER_JOB_MIN_INTERVAL_SECONDS, else 60.
   */
  jobMinIntervalSeconds?: number;
  logger?: Logger;
}

export interface RunningGateway {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`) */
  url: string;
  /** `ws://127.0.0.1:PORT/ws` (`wss://` with `tls`): where daemons connect. */
  wsUrl: string;
  port: number;
  operatorToken: string;
  /** True when the operator token was created by this start. */
  operatorTokenGenerated: boolean;
  /** Registers a viber as POST /api/vibers does; the token is returned once. */
  registerViber(name: string): Promise<RegisteredViber>;
  /** The Hono app, for in-process requests (`app.request(...)`). */
  app: Hono<GatewayEnv>;
  /** Stops accepting, closes daemon sockets and SSE streams, then the store. Idempotent. */
  close(): Promise<void>;
}
