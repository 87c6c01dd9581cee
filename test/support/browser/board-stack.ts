import type { BrowserContext, Page } from 'playwright-core';
import { startModelServer } from '../e2e-cleanup.ts';
import type { OpenAITestServer, Script } from '../openai-test-server.ts';
import {
  type DaemonHandle,
  type GatewayHandle,
  spawnDaemon,
  spawnGateway,
  spawnViberFor,
} from '../viber-stack.ts';
import { UI_TIMEOUT_MS } from './browser.ts';

/** A real gateway and daemon as processes, with the scripted OpenAI-compatible model. */
export interface BoardStack {
  gateway: GatewayHandle;
  daemon: DaemonHandle & { token: string };
  model: OpenAITestServer;
  viberName: string;
  /** Starts the same daemon again after it was killed. */
  restartDaemon(): Promise<DaemonHandle>;
}

export async function startBoardStack(
  options: { script: Script; viberName?: string; heartbeatIntervalMs?: number; graceMs?: number } = {
    script: [],
  },
): Promise<BoardStack> {
  const model = await startModelServer({ script: options.script });
  const gateway = await spawnGateway({
    ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    ...(options.graceMs ? { graceMs: options.graceMs } : {}),
  });
  const viberName = options.viberName ?? 'test-viber';
  const daemon = await spawnViberFor(gateway, {
    modelBaseURL: model.baseURL,
    name: viberName,
    ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
  });
  return {
    gateway,
    daemon,
    model,
    viberName,
    restartDaemon: () =>
      spawnDaemon({
        serverUrl: gateway.wsUrl,
        viberId: daemon.viberId,
        token: daemon.token,
        modelBaseURL: model.baseURL,
        name: viberName,
        home: daemon.home,
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      }),
  };
}

/** A one-time sign-in link, minted with the operator token as `viber login-link` does. */
export async function mintLoginLink(gateway: GatewayHandle): Promise<string> {
  const minted = await gateway.rest.client.call('loginCodes.create');
  return `${gateway.url}${minted.path}`;
}

/** Signs the context in through a one-time link and lands on `path`. */
export async function signIn(context: BrowserContext, gateway: GatewayHandle, path = '/'): Promise<Page> {
  const page = await context.newPage();
  const link = await mintLoginLink(gateway);
  const url = new URL(link);
  if (path !== '/') url.search = `?next=${encodeURIComponent(path)}`;
  await page.goto(url.toString());
  await page.waitForURL((current) => current.pathname !== '/login', { timeout: UI_TIMEOUT_MS });
  return page;
}
