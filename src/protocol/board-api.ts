import { z } from 'zod';
import {
  BoardEventSchema,
  CreateSessionBodySchema,
  LoginCodeResponseSchema,
  SessionChallengeSchema,
  SessionViewSchema,
} from './board-events.ts';
import { HealthResponseSchema } from './rest.ts';
import type { RestRoute } from './rest-route.ts';

/** `POST /api/session/logout`: the session cookie is gone (also when there was none). */
export const SignedOutResponseSchema = z.object({ signedOut: z.literal(true) });
export type SignedOutResponse = z.infer<typeof SignedOutResponseSchema>;

/** The health check, the board's sign-in and its push-event channel. */
export const BOARD_ROUTES = {
  'health.get': {
    kind: 'json',
    method: 'GET',
    path: '/health',
    scope: 'public',
    summary: 'Counts of connected vibers and stored tasks; nothing private.',
    responses: { 200: HealthResponseSchema },
    idempotencyKey: false,
  },
  'session.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/session',
    scope: 'public',
    summary:
      'Exchanges a one-time login code (or the operator token) for the board session cookie, pairing the browser as an operator device; same origin only.',
    body: CreateSessionBodySchema,
    responses: { 201: SessionViewSchema },
    idempotencyKey: false,
  },
  'session.challenge': {
    kind: 'json',
    method: 'POST',
    path: '/api/session/challenge',
    scope: 'public',
    summary: "A one-time nonce the board's device key signs for the sign-in; same origin only.",
    responses: { 201: SessionChallengeSchema },
    idempotencyKey: false,
  },
  'session.get': {
    kind: 'json',
    method: 'GET',
    path: '/api/session',
    scope: 'operator',
    summary: 'How this request was authenticated, and when its session ends.',
    responses: { 200: SessionViewSchema },
    idempotencyKey: false,
  },
  'session.logout': {
    kind: 'json',
    method: 'POST',
    path: '/api/session/logout',
    scope: 'public',
    summary: 'Ends the board session the cookie names and clears the cookie; same origin only.',
    responses: { 200: SignedOutResponseSchema },
    idempotencyKey: false,
  },
  'loginCodes.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/login-codes',
    scope: 'devices.admin',
    // Never stored for replay: the code is a credential for a new board session.
    summary: 'Mints a one-time sign-in code for a new board session (a new device).',
    responses: { 201: LoginCodeResponseSchema },
    idempotencyKey: false,
  },
  'events.stream': {
    kind: 'sse',
    method: 'GET',
    path: '/api/events',
    scope: 'tasks.read',
    summary:
      'Push-only board events; `events.ready` first on every connection, after which the client refetches.',
    event: BoardEventSchema,
    resumable: false,
  },
} as const satisfies Record<string, RestRoute>;
