import type { ChannelView, CreateChannelBody } from '../../../src/protocol/index.ts';
import { type OpenAITestServer, type Script, startOpenAITestServer } from '../openai-test-server.ts';
import { spawnViber, stopAllProcesses } from '../processes.ts';
import { makeTempDir, removeTempDirs } from '../temp-dirs.ts';
import { type DaemonHandle, type GatewayHandle, spawnGateway, spawnViberFor } from '../viber-stack.ts';

/**
 * What a channel test file stands on, once for the file: the scripted OpenAI-compatible model, a
 * gateway (given the public URL its answers link to) and one daemon on it, as processes, and the
 * operator's side of a channel: creating it, approving a sender by the pairing code the platform
 * showed them. The platform fixture (Telegram, Slack, Discord) and the script are the test's own.
 */

export interface ChannelStackOptions {
  script: Script;
  /** OPENVIBER_PUBLIC_URL: shapes the board links in answers and the webhook URL a channel shows. */
  publicUrl?: string;
  viberName: string;
  gatewayName?: string;
}

/** A channel's body without its viber: the stack's daemon runs its tasks. */
export type ChannelOnViber = Omit<CreateChannelBody, 'viberId' | 'environmentId'>;

export interface ChannelStack {
  readonly model: OpenAITestServer;
  /** The running gateway: a new handle after restartGateway. */
  readonly gateway: GatewayHandle;
  readonly daemon: DaemonHandle & { token: string };
  /**
   * A REST call as the test writes it, answered unchecked (a ChannelView keeps every field the
   * gateway sent, so a test sees a secret that leaked); any status of 300 or more throws, naming
   * the call and the answer.
   */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Creates a channel whose tasks run on the stack's viber. */
  addChannel(body: ChannelOnViber): Promise<ChannelView>;
  /** Where a platform fixture posts: the gateway itself (the public URL only shapes what is shown). */
  webhookOf(channel: ChannelView): string;
  /** The operator's side of pairing: approves the sender whose pairing code `text` shows. */
  approvePairing(text: string): Promise<void>;
  /**
   * Starts the gateway again in place (home, token, port) once the test has killed it, with `env`
   * added to the environment it was first started with.
   */
  restartGateway(name: string, env?: Record<string, string>): Promise<GatewayHandle>;
}

export async function startChannelStack(options: ChannelStackOptions): Promise<ChannelStack> {
  const model = await startOpenAITestServer({ script: options.script });
  try {
    const first = await spawnGateway({
      ...(options.gatewayName ? { name: options.gatewayName } : {}),
      ...(options.publicUrl ? { env: { OPENVIBER_PUBLIC_URL: options.publicUrl } } : {}),
    });
    const daemon = await spawnViberFor(first, { modelBaseURL: model.baseURL, name: options.viberName });
    let gateway = first;
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await gateway.rest.request<T>(method, path, body === undefined ? {} : { body });
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
      return response.body;
    };
    return {
      model,
      get gateway() {
        return gateway;
      },
      daemon,
      api,
      addChannel: (body) => api<ChannelView>('POST', '/api/channels', { ...body, viberId: daemon.viberId }),
      webhookOf: (channel) => `${gateway.url}/channels/${channel.id}/webhook`,
      async approvePairing(text) {
        await api('POST', '/api/channel-senders/approve', { code: pairingCodeIn(text) });
      },
      async restartGateway(name, env = {}) {
        gateway = await spawnGateway({
          ...first.options,
          port: gateway.port,
          name,
          env: { ...first.options.env, ...env },
        });
        return gateway;
      },
    };
  } catch (error) {
    await stopChannelStack(undefined, model);
    throw error;
  }
}

/**
 * After a channel test file, whatever it got to: kills its processes first (no gateway calls a
 * platform that is gone), then closes the model and the platform fixtures, then removes its
 * temporary folders.
 */
export async function stopChannelStack(
  stack: ChannelStack | undefined,
  ...servers: Array<{ close(): Promise<void> } | undefined>
): Promise<void> {
  await stopAllProcesses();
  for (const server of [...servers, stack?.model]) await server?.close();
  removeTempDirs();
}

/** The code in a platform's "your pairing code is XXXX-XXXX" message; throws if it shows none. */
export function pairingCodeIn(text: string): string {
  const code = /pairing code is ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(text)?.[1];
  if (!code) throw new Error(`no pairing code in: ${text}`);
  return code;
}

/** The id of the task whose board link (`.../tasks/<id>`) an answer carries; throws if it carries none. */
export function taskIdIn(text: string): string {
  const id = /\/tasks\/(task_[a-z0-9-]+)/.exec(text)?.[1];
  if (!id) throw new Error(`no task link in: ${text}`);
  return id;
}

/** `viber channels <args>` against `gateway` as an operator, from a home of its own. */
export async function viberChannels(
  gateway: GatewayHandle,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnViber(['channels', ...args], {
    name: `cli-channels-${args[0]}`,
    env: {
      OPENVIBER_HOME: makeTempDir('cli'),
      OPENVIBER_GATEWAY_URL: gateway.url,
      OPENVIBER_OPERATOR_TOKEN: gateway.operatorToken,
    },
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}
