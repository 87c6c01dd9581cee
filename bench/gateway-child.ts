import { resolveHome } from '../src/core/home.ts';
import { startGateway } from '../src/gateway/index.ts';

/**
 * The gateway in its own process for the memory benchmark: started with --expose-gc and an IPC
 * channel, it answers `memory` with its process.memoryUsage() after a full collection, so the
 * figure counts live memory, not garbage waiting for the collector.
 */

const gateway = await startGateway({
  home: resolveHome(),
  host: '127.0.0.1',
  port: 0,
  ...(process.env.OPENVIBER_OPERATOR_TOKEN ? { operatorToken: process.env.OPENVIBER_OPERATOR_TOKEN } : {}),
});
process.stdout.write(`listening on ${gateway.url}\n`);

process.on('message', (message) => {
  if (message !== 'memory') return;
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  process.send?.({ ...process.memoryUsage(), collected: Boolean(collect) });
});
process.on('disconnect', () => process.exit(0));
