// The one typed client of the gateway (REST, task stream, board events, terminals), for Node and
// the browser. It imports only src/protocol, zod and eventsource-parser (a test checks).
export { Backoff, type BackoffOptions, sleep } from './backoff.ts';
export {
  type BoardFeedItem,
  type FollowBoardEventsOptions,
  followBoardEvents,
  type ReadyEvent,
} from './board-events.ts';
export {
  type HandshakeOptions,
  HandshakeRefusedError,
  type HandshakeSocket,
  isHandshakeFrame,
  performHandshake,
} from './connect-handshake.ts';
export { cronInWords } from './cron-words.ts';
export {
  type ConnectDesktopOptions,
  connectDesktop,
  DesktopConnection,
  RfbChannel,
} from './desktop-connection.ts';
export {
  answerChallenge,
  type ConnectAsk,
  type DeviceIdentity,
  generateDeviceKeys,
  identityFromKeyPair,
  proveDevice,
} from './device-identity.ts';
export type { GatewayAccess } from './gateway-access.ts';
export { createGatewayClient, GatewayClient, type GatewayClientOptions } from './gateway-client.ts';
export {
  type ClientErrorCode,
  GatewayClientError,
  type GatewayClientErrorCode,
  type GatewayClientErrorOptions,
} from './gateway-client-error.ts';
export { type JobTimeText, jobTime, tickText, viewerZone } from './job-time.ts';
export {
  type ConnectOperatorSocketOptions,
  connectOperatorSocket,
  type EventGap,
  type OpenOperatorSocket,
  OperatorConnection,
  type OperatorEventListener,
  type OperatorSocketLike,
} from './operator-socket.ts';
export { readAllPages } from './pages.ts';
export type { CallOptions, CallResult, ResponseOf, RouteArgs, RouteInput } from './route-input.ts';
export { type ReadSseOptions, readSse, type SseMessage } from './sse-events.ts';
export {
  TASK_ACTIVITY_LABELS,
  TASK_STATUS_LABELS,
  type TaskStateOfView,
  taskStateLabel,
} from './task-labels.ts';
export {
  type FollowTaskStreamOptions,
  followTaskStream,
  type StreamReconnect,
  type TaskStreamChunk,
} from './task-stream.ts';
export {
  type ConnectTerminalOptions,
  connectTerminal,
  type OpenTerminalSocket,
  type TerminalAnswer,
  TerminalConnection,
  type TerminalListener,
  type TerminalRequest,
} from './terminal-connection.ts';
export { type KeepTerminalOptions, keepTerminalConnected } from './terminal-reconnect.ts';
