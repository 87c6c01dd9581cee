import { z } from 'zod';
import { DaemonMessageSchema } from './daemon-messages.ts';
import {
  DesktopClientMessageSchema,
  DesktopServerMessageSchema,
  DesktopSocketQuerySchema,
} from './desktop-view.ts';
import { ConnectRequestSchema, ConnectServerFrameSchema } from './device.ts';
import { GatewayMessageSchema } from './gateway-messages.ts';
import { OperatorRequestSchema, OperatorServerMessageSchema } from './operator-socket.ts';
import type { RestRoute } from './rest-route.ts';
import {
  TerminalAccessSchema,
  TerminalClientMessageSchema,
  TerminalOutputFormatSchema,
  TerminalServerMessageSchema,
} from './terminal.ts';

/**
 * `?access=read` asks for a read-only viewer; without it a viewer may also type and resize.
 * `?output=binary` asks for pane output as binary frames (terminal.ts `encodeViewerOutputFrame`).
 */
export const TerminalSocketQuerySchema = z.object({
  access: TerminalAccessSchema.optional(),
  output: TerminalOutputFormatSchema.optional(),
});

/**
 * The WebSockets on the gateway's port. Each opens with the connect handshake (device.ts): the
 * gateway's `connect.challenge`, the client's signed `connect`, then `connect.ok`; the scope is
 * checked against what the handshake granted. A daemon that speaks only the protocol document's
 * frames may instead authenticate its upgrade with headers (docs/architecture.md, "Wire
 * compatibility").
 */
export const SOCKET_ROUTES = {
  'operator.socket': {
    kind: 'websocket',
    method: 'GET',
    path: '/api/ws',
    scope: 'operator',
    summary:
      'The operator control socket: requests to any JSON route under its scope, answers, and push-only board events with a per-connection seq.',
    clientMessage: z.union([ConnectRequestSchema, OperatorRequestSchema]),
    serverMessage: z.union([ConnectServerFrameSchema, OperatorServerMessageSchema]),
  },
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
    clientMessage: z.union([ConnectRequestSchema, TerminalClientMessageSchema]),
    serverMessage: z.union([ConnectServerFrameSchema, TerminalServerMessageSchema]),
  },
  'desktop.socket': {
    kind: 'websocket',
    method: 'GET',
    path: '/api/desktop/ws',
    scope: 'terminals.read',
    alsoNeeds: [
      {
        scope: 'terminals.write',
        when: 'the viewer asks for ?access=control (or takes over later with desktop:take-over)',
        applies: ({ query }) => query.access === 'control',
      },
    ],
    summary:
      "Watch a viber's desktop over VNC (`viber start --desktop --vnc`), read-only unless the operator takes over: `desktop:ready`, then RFB bytes as binary frames.",
    query: DesktopSocketQuerySchema,
    clientMessage: z.union([ConnectRequestSchema, DesktopClientMessageSchema]),
    serverMessage: z.union([ConnectServerFrameSchema, DesktopServerMessageSchema]),
  },
  'daemon.socket': {
    kind: 'websocket',
    method: 'GET',
    path: '/ws',
    scope: 'node',
    summary: "A daemon's link to its gateway (a node device): task events up, commands down.",
    clientMessage: z.union([ConnectRequestSchema, DaemonMessageSchema]),
    serverMessage: z.union([ConnectServerFrameSchema, GatewayMessageSchema]),
  },
} as const satisfies Record<string, RestRoute>;
