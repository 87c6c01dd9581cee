// Test helpers for the gateway (tests, e2e suites and benchmarks); not part of the runtime surface.
export { SseClient, type SseEvent } from './sse-client.ts';
export { TestDaemon, type TestDaemonOptions } from './test-daemon.ts';
export { TEST_OPERATOR_TOKEN, TestGateway } from './test-gateway.ts';
export { waitUntil } from './wait-until.ts';
