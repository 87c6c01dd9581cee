import { resolveHome } from '../src/core/home.ts';
import { startGateway } from '../src/gateway/index.ts';
import { answerProbes } from './bench-child.ts';

/** The gateway in its own process for the benchmarks, answering probes (bench-child.ts). */

const gateway = await startGateway({
  home: resolveHome(),
  host: '127.0.0.1',
  port: 0,
  ...(process.env.OPENVIBER_OPERATOR_TOKEN ? { operatorToken: process.env.OPENVIBER_OPERATOR_TOKEN } : {}),
});
answerProbes();
process.stdout.write(`listening on ${gateway.url}\n`);
