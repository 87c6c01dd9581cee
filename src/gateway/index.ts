// The OpenViber gateway: REST API, SSE task streams and the daemon WebSocket.
export type { AuthResult, Credentials, GatewayAuth } from './auth/gateway-auth.ts';
export { operatorTokenPath } from './auth/operator-token.ts';
export type { Principal } from './auth/principal.ts';
export type { GatewayChange } from './bus/gateway-topics.ts';
export type { Topic, TopicBus } from './bus/topic-bus.ts';
export type { GatewayOptions, RunningGateway } from './gateway-options.ts';
export { startGateway } from './start-gateway.ts';
export { GATEWAY_DB_FILE, type GatewayStore, type StoreChange } from './store/index.ts';
export type { RegisteredViber } from './vibers/viber-service.ts';
