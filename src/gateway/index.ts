// The OpenViber gateway: REST API, SSE task streams and the daemon WebSocket.
export type {
  AuthResult,
  Credentials,
  GatewayAuth,
  OperatorPrincipal,
  ViberPrincipal,
} from './auth/gateway-auth.ts';
export { operatorTokenPath } from './auth/operator-token.ts';
export type { TaskBus, TaskBusMessage } from './bus/task-bus.ts';
export type { GatewayOptions, RunningGateway } from './gateway-options.ts';
export { SSE_HEADERS } from './routes/task-stream.ts';
export { GATEWAY_DB_FILE, startGateway } from './start-gateway.ts';
export type { GatewayStore } from './store/gateway-store.ts';
export type { RegisteredViber } from './viber-service.ts';
