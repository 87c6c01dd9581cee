import { z } from 'zod';
import { DaemonMessageSchema } from './daemon-messages.ts';
import { GatewayMessageSchema } from './gateway-messages.ts';
import type { RestRoute } from './rest-route.ts';
import {
  TerminalAccessSchema,
  TerminalClientMessageSchema,
  TerminalServerMessageSchema,
} from './terminal.ts';

/** `?access=read` asks for a read-only viewer; without it a viewer may also type and resize. */
export const TerminalSocketQuerySchema = z.object({ access: TerminalAccessSchema.optional() });

/** The two WebSockets on the gateway's port: terminal viewers, and daemons. */
export const SOCKET_ROUTES = {
  'terminals.socket': {
    kind: 'websocket',
    method: 'GET',
    // The default; OPENVIBER_TERMINAL_WS_PATH moves it (docs/terminals.md).
    path: '/api/terminals/ws',
    scope: 'terminals.read',
    alsoNeeds: [
      {
        scope: 'terminals.write',
        when: 'the viewer does not ask for ?access=read (it may type, resize and create sessions)',
        applies: ({ query }) => query.access !== 'read',
      },
    ],
    summary: "Watch and drive a viber's tmux panes: `terminal:ready` first, then requests and output.",
    query: TerminalSocketQuerySchema,
    clientMessage: TerminalClientMessageSchema,
    serverMessage: TerminalServerMessageSchema,
  },
  'daemon.socket': {
    kind: 'websocket',
    method: 'GET',
    path: '/ws',
    scope: 'node',
    summary: "A daemon's link to its gateway (viber token and X-Viber-Id): task events up, commands down.",
    clientMessage: DaemonMessageSchema,
    serverMessage: GatewayMessageSchema,
  },
} as const satisfies Record<string, RestRoute>;
