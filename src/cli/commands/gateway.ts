import type { Command } from 'commander';
import { resolveHome } from '../../core/home.ts';
import { startGateway } from '../../gateway/index.ts';
import { parseIntegerOption } from '../cli-error.ts';
import { onShutdown } from '../shutdown.ts';

export const DEFAULT_GATEWAY_PORT = 6007;

export interface GatewayFlags {
  host: string;
  port: number;
  heartbeatInterval?: number;
  grace?: number;
}

/** Options shared by `viber gateway` and `viber up`. */
export function addGatewayOptions(command: Command): Command {
  return command
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--port <port>',
      'port to bind (0 picks a free one)',
      parseIntegerOption('--port', 0, 65535),
      DEFAULT_GATEWAY_PORT,
    )
    .option(
      '--heartbeat-interval <ms>',
      'heartbeat interval daemons are told to use',
      parseIntegerOption('--heartbeat-interval', 100, 3_600_000),
    )
    .option(
      '--grace <ms>',
      'how long an offline viber has to come back before its running tasks fail',
      parseIntegerOption('--grace', 0, 86_400_000),
    );
}

export async function runGateway(flags: GatewayFlags) {
  const home = resolveHome();
  return startGateway({
    home,
    host: flags.host,
    port: flags.port,
    ...(process.env.OPENVIBER_OPERATOR_TOKEN ? { operatorToken: process.env.OPENVIBER_OPERATOR_TOKEN } : {}),
    ...(flags.heartbeatInterval ? { heartbeatIntervalMs: flags.heartbeatInterval } : {}),
    ...(flags.grace !== undefined ? { taskGraceMs: flags.grace } : {}),
  });
}

export function registerGatewayCommand(program: Command): void {
  addGatewayOptions(
    program
      .command('gateway')
      .description('run the gateway: REST API, SSE task streams and the daemon WebSocket'),
  ).action(async (flags: GatewayFlags) => {
    const gateway = await runGateway(flags);
    process.stdout.write(`OpenViber gateway listening on ${gateway.url}\n`);
    process.stdout.write(`daemons connect to ${gateway.wsUrl}\n`);
    if (gateway.operatorTokenGenerated) {
      process.stdout.write(
        `operator token (created now, kept in ${resolveHome().gateway}/operator-token): ${gateway.operatorToken}\n`,
      );
    }
    onShutdown(() => gateway.close());
  });
}
