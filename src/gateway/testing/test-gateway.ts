import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type OpenViberHome, resolveHome } from '../../core/home.ts';
import type { GatewayOptions, RunningGateway } from '../gateway-options.ts';
import { startGateway } from '../start-gateway.ts';

export const TEST_OPERATOR_TOKEN = 'ovo_test-operator-token-0123456789';

/** A gateway on 127.0.0.1, a free port and a temporary home; `cleanup` removes both. */
export class TestGateway {
  readonly home: OpenViberHome;
  gateway!: RunningGateway;
  readonly #options: Partial<GatewayOptions>;

  private constructor(home: OpenViberHome, options: Partial<GatewayOptions>) {
    this.home = home;
    this.#options = options;
  }

  static async start(options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
    const root = mkdtempSync(join(tmpdir(), 'openviber-gateway-'));
    const harness = new TestGateway(resolveHome({ OPENVIBER_HOME: root }), options);
    await harness.restart();
    return harness;
  }

  /** (Re)starts the gateway on the same home; the port may change. */
  async restart(): Promise<void> {
    this.gateway = await startGateway({
      home: this.home,
      port: 0,
      operatorToken: TEST_OPERATOR_TOKEN,
      logger: pino({ level: process.env.OPENVIBER_LOG_LEVEL ?? 'silent' }),
      ...this.#options,
    });
  }

  /** A REST call with the operator token; JSON bodies are serialised. */
  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON responses.
    const json: any = text ? JSON.parse(text) : undefined;
    return { status: response.status, json, headers: response.headers };
  }

  async cleanup(): Promise<void> {
    try {
      await this.gateway.close();
    } finally {
      rmSync(this.home.root, { recursive: true, force: true });
    }
  }
}
