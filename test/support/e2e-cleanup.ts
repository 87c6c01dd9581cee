import { afterEach } from 'vitest';
import {
  type OpenAITestServer,
  type OpenAITestServerOptions,
  startOpenAITestServer,
} from './openai-test-server.ts';
import { stopAllProcesses } from './processes.ts';
import { removeTempDirs } from './temp-dirs.ts';

/** After each e2e test: kill its processes, then close its servers, then delete its temp dirs. */

const closers: Array<() => Promise<void> | void> = [];

export function onCleanup(close: () => Promise<void> | void): void {
  closers.push(close);
}

export function useE2eCleanup(): void {
  afterEach(async () => {
    await stopAllProcesses();
    while (closers.length > 0) {
      try {
        await closers.pop()?.();
      } catch {
        // One failed close must not keep the others from running.
      }
    }
    removeTempDirs();
  });
}

/** Starts a scripted OpenAI-compatible server that is closed after the test. */
export async function startModelServer(options: OpenAITestServerOptions): Promise<OpenAITestServer> {
  const server = await startOpenAITestServer(options);
  onCleanup(() => server.close());
  return server;
}
