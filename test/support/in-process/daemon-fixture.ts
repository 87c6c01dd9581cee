import pino from 'pino';
import type { OpenViberHome } from '../../../src/core/home.ts';
import { type DaemonOptions, type RunningDaemon, startDaemon } from '../../../src/daemon/daemon.ts';
import { FakeGateway } from '../fake-gateway.ts';
import { removeTempDir } from '../temp-dirs.ts';
import { TestAgent } from './hand-driven-agent.ts';
import { tempHome } from './temp-home.ts';

export const TEST_VIBER_ID = 'viber_test-0001';
export const TEST_TOKEN = 'ovv_test-token-do-not-log';

export interface DaemonFixture {
  gateway: FakeGateway;
  daemon: RunningDaemon;
  agent: TestAgent;
  home: OpenViberHome;
  cleanup(): Promise<void>;
}

/** A fake gateway, a temp home, and a daemon connected to them with a hand-driven agent. */
export async function startFixture(
  overrides: Partial<DaemonOptions> = {},
  prepareGateway: (gateway: FakeGateway) => void = () => undefined,
): Promise<DaemonFixture> {
  const gateway = await FakeGateway.start();
  prepareGateway(gateway);
  const home = tempHome('daemon');
  const agent = new TestAgent();
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({
      home,
      serverUrl: gateway.url,
      viberId: TEST_VIBER_ID,
      token: TEST_TOKEN,
      name: 'test viber',
      config: {},
      env: { PATH: process.env.PATH ?? '' },
      startAgentTask: agent.start,
      reconnect: { baseMs: 10, maxMs: 50 },
      shutdownGraceMs: 1_000,
      logger: pino({ level: 'silent' }),
      ...overrides,
    });
  } catch (error) {
    await gateway.close();
    removeTempDir(home.root);
    throw error;
  }
  return {
    gateway,
    daemon,
    agent,
    home,
    async cleanup() {
      // Let the final events of stopped tasks be stored, so close() need not wait out its grace.
      gateway.autoAck = true;
      for (const connection of gateway.connections) if (!connection.closed) connection.ackAll();
      await daemon.close();
      // Every frame the daemon sent must have matched the protocol.
      const invalid = gateway.connections.flatMap((connection) => connection.invalid);
      if (invalid.length > 0)
        throw new Error(`daemon sent frames outside the protocol: ${invalid.join('\n')}`);
      await gateway.close();
      removeTempDir(home.root);
    },
  };
}
