import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type OpenViberHome, resolveHome } from '../../core/home.ts';
import { type DaemonOptions, type RunningDaemon, startDaemon } from '../daemon.ts';
import { FakeGateway } from './fake-gateway.ts';
import { TestAgent } from './test-agent.ts';

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
  const root = mkdtempSync(join(tmpdir(), 'ov-daemon-'));
  const home = resolveHome({ OPENVIBER_HOME: root });
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
    rmSync(root, { recursive: true, force: true });
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
      rmSync(root, { recursive: true, force: true });
    },
  };
}
