import type { Command } from 'commander';
import { resolveHome } from '../../core/home.ts';
import type { LoginCodeResponse } from '../../protocol/index.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';

/** The board URL that signs a browser in once: `<gateway>/login#code=...`. */
export function loginLink(gatewayUrl: string, minted: LoginCodeResponse): string {
  return `${gatewayUrl.replace(/\/+$/, '')}${minted.path}`;
}

/** `viber login-link`: a new one-time link to sign in to the Viber Board (needs the operator token). */
export function registerLoginLinkCommand(program: Command): void {
  addClientOptions(program.command('login-link'))
    .description('print a one-time link that signs a browser in to the Viber Board')
    .action(async (flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const minted = await client.call('loginCodes.create');
      if (flags.json) return void process.stdout.write(`${JSON.stringify(minted, null, 2)}\n`);
      process.stdout.write(
        `${loginLink(client.baseUrl, minted)}\n(works once, until ${new Date(minted.expiresAt).toLocaleTimeString()})\n`,
      );
    });
}
