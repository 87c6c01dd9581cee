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
  /** Heartbeat interval daemons are told to use (welcome); silence for 3 of them is offline. */
  heartbeatIntervalMs?: number;
  /** How long an offline viber has to come back before its running tasks end in error. */
  taskGraceMs?: number;
  /** Origins allowed to call the API from a browser; none by default. */
  corsOrigins?: string[];
  logger?: Logger;
}

export interface RunningGateway {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `ws://127.0.0.1:PORT/ws`: where daemons connect. */
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
