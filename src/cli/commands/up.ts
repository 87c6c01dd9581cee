import { hostname } from 'node:os';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { createGatewayClient, type GatewayClient, GatewayClientError } from '../../client/index.ts';
import { loadConfig, resolveModelSettings } from '../../core/config.ts';
import { resolveHome } from '../../core/home.ts';
import type { RunningGateway } from '../../gateway/index.ts';
import { readCredentials, writeCredentials } from '../daemon-credentials.ts';
import { DaemonProcess } from '../daemon-process.ts';
import { onShutdown } from '../shutdown.ts';
import { addGatewayOptions, type GatewayFlags, runGateway } from './gateway.ts';
import { loginLink } from './login-link.ts';

/**
 * `viber up` (what `npm start` runs): the gateway and one local daemon in one process tree, on the
 * embedded store, reusing the local viber's identity across restarts.
 */
export function registerUpCommand(program: Command): void {
  addGatewayOptions(
    program
      .command('up')
      .description('run the gateway and a local daemon together (the quickest way to start)'),
  ).action(async (flags: GatewayFlags) => {
    const home = resolveHome();
    loadConfig(home); // fail fast, before anything starts, on a broken config file
    const gateway = await runGateway(flags);
    // The typed client, answered by the app in this process: no socket, no port to wait for.
    const client = createGatewayClient({
      baseUrl: gateway.url,
      token: gateway.operatorToken,
      fetch: async (url, init) => gateway.app.request(url, init),
    });
    const viberId = await ensureLocalViber(gateway, client, home);
    const boardLink = await mintBoardLink(gateway, client);
    let announced = false;
    const daemon = new DaemonProcess([], () => {
      if (announced) return;
      announced = true;
      printBanner(gateway, viberId, boardLink);
    });
    daemon.start();
    onShutdown(async () => {
      await daemon.stop();
      await gateway.close();
    });
  });
}

async function ensureLocalViber(
  gateway: RunningGateway,
  client: GatewayClient,
  home: ReturnType<typeof resolveHome>,
): Promise<string> {
  const stored = readCredentials(home);
  if (stored.viberId && stored.token && (await isRegistered(client, stored.viberId))) {
    writeCredentials(home, { server: gateway.wsUrl, viberId: stored.viberId, token: stored.token });
    return stored.viberId;
  }
  const viber = await gateway.registerViber(hostname());
  writeCredentials(home, { server: gateway.wsUrl, viberId: viber.id, token: viber.token });
  return viber.id;
}

/** Whether the gateway still knows the stored viber; any refusal (revoked, a fresh store) is a no. */
async function isRegistered(client: GatewayClient, viberId: string): Promise<boolean> {
  try {
    await client.call('vibers.get', { params: { id: viberId } });
    return true;
  } catch (error) {
    if (GatewayClientError.isInstance(error)) return false;
    throw error;
  }
}

/** A one-time sign-in link for the Viber Board, or why there is none. */
async function mintBoardLink(gateway: RunningGateway, client: GatewayClient): Promise<string> {
  try {
    return loginLink(gateway.url, await client.call('loginCodes.create'));
  } catch (error) {
    if (!GatewayClientError.isInstance(error)) throw error;
    return styleText('yellow', `no sign-in link (${error.code}, HTTP ${error.status}); run viber login-link`);
  }
}

function printBanner(gateway: RunningGateway, viberId: string, boardLink: string): void {
  const model = resolveModelSettings(loadConfig(resolveHome()), process.env);
  const lines = [
    '',
    styleText('bold', '  OpenViber is up'),
    `  board          ${styleText('cyan', boardLink)}`,
    `                 ${styleText('dim', 'one-time sign-in link; `viber login-link` prints a new one')}`,
    `  gateway        ${styleText('cyan', gateway.url)}`,
    `  operator token ${gateway.operatorToken}`,
    `  local viber    ${viberId}`,
    `  model          ${model.ok ? `${model.settings.provider}/${model.settings.modelId}` : styleText('yellow', model.message)}`,
    '',
    `  try: ${styleText('dim', `OPENVIBER_GATEWAY_URL=${gateway.url} npm run viber -- task create "list the files here" --follow`)}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
