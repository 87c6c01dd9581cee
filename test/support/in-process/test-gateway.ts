import pino from 'pino';
import { createGatewayClient, type GatewayClient } from '../../../src/client/index.ts';
import { type OpenViberHome, resolveHome } from '../../../src/core/home.ts';
import type { GatewayOptions, RunningGateway } from '../../../src/gateway/gateway-options.ts';
import { startGateway } from '../../../src/gateway/start-gateway.ts';
import { rawRequest } from '../rest-client.ts';
import { makeTempDir, removeTempDir } from '../temp-dirs.ts';

export const TEST_OPERATOR_TOKEN = 'ovo_test-operator-token-0123456789';

/** A gateway in this process on 127.0.0.1, a free port and a temporary home; `cleanup` removes both. */
export class TestGateway {
  readonly home: OpenViberHome;
  gateway!: RunningGateway;
  readonly #options: Partial<GatewayOptions>;

  private constructor(home: OpenViberHome, options: Partial<GatewayOptions>) {
    this.home = home;
    this.#options = options;
  }

  static async start(options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
    const harness = new TestGateway(resolveHome({ OPENVIBER_HOME: makeTempDir('gateway') }), options);
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

  /** The typed client, as the operator (a new one after a restart: the port may change). */
  get client(): GatewayClient {
    return createGatewayClient({ baseUrl: this.gateway.url, token: TEST_OPERATOR_TOKEN });
  }

  /**
   * An unchecked REST call with the operator token (a string body goes as it is, anything else as
   * JSON): the gateway's own tests look at every status and body, including the wrong ones.
   */
  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await rawRequest(`${this.gateway.url}${path}`, method, {
      token: TEST_OPERATOR_TOKEN,
      headers,
      ...(typeof body === 'string' ? { rawBody: body } : { body }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON responses.
    const json: any = response.body;
    return { status: response.status, json, headers: response.headers };
  }

  async cleanup(): Promise<void> {
    try {
      await this.gateway.close();
    } finally {
      removeTempDir(this.home.root);
    }
  }
}
