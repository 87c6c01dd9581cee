import { existsSync } from 'node:fs';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { describeFileIsolation, fileIsolationCapability } from '../../agent/command-sandbox.ts';
import { DailyUsageStore, dailyUsagePath, utcDay } from '../../agent/index.ts';
import { createGatewayClient, GatewayClientError } from '../../client/index.ts';
import { type ConfigFile, configPath, loadConfig } from '../../core/config.ts';
import { resolveHome } from '../../core/home.ts';
import { mcpTransportOf } from '../../protocol/index.ts';
import { CliError } from '../cli-error.ts';
import { readCredentials } from '../daemon-credentials.ts';
import {
  addClientOptions,
  type ClientFlags,
  clientFromFlags,
  resolveGatewayTarget,
  resolveGatewayUrl,
} from '../gateway-client.ts';
import { configuredMcpServers, mcpServerLine, reportedMcpServers } from './mcp-lines.ts';
import { modelLine, reportedModel } from './model-lines.ts';
import { viberLine } from './vibers.ts';

/** `viber status`: this machine's configuration, then the gateway's health and vibers if it answers. */
export function registerStatusCommand(program: Command): void {
  addClientOptions(program.command('status'))
    .description('show the local configuration and, when reachable, the gateway and its vibers')
    .action(async (flags: ClientFlags) => {
      const home = resolveHome();
      const report: Record<string, unknown> = { home: home.root };
      const lines = [`${styleText('bold', 'home')}      ${home.root}`];

      try {
        const config = loadConfig(home);
        // config.json's default only: what a running daemon uses (its variables and the gateway's
        // settings come first) is under each viber below, never this shell's environment.
        report.configModel = config.model ?? null;
        lines.push(
          `${styleText('bold', 'config')}    ${existsSync(configPath(home)) ? configPath(home) : 'none (defaults)'}`,
        );
        lines.push(
          `${styleText('bold', 'model')}     ${config.model ? `config.json: ${config.model}` : 'config.json sets none'}; each running viber's model is under its line`,
        );
        const today = new DailyUsageStore(dailyUsagePath(home)).read(utcDay(new Date()));
        report.usageToday = today;
        report.budget = config.budget ?? {};
        lines.push(`${styleText('bold', 'budget')}    ${describeBudget(today, config.budget)}`);
        // Names only: a server's env and headers may hold credentials.
        report.mcpServers = (config.mcpServers ?? []).map((server) => ({
          name: server.name,
          transport: mcpTransportOf(server),
          enabled: server.enabled !== false,
        }));
        lines.push(`${styleText('bold', 'mcp')}       ${configuredMcpServers(config.mcpServers)}`);
      } catch (error) {
        report.config = { error: (error as Error).message };
        lines.push(`${styleText('bold', 'config')}    ${styleText('red', (error as Error).message)}`);
      }

      const isolation = describeFileIsolation(await fileIsolationCapability());
      report.credentialIsolation = isolation;
      lines.push(
        `${styleText('bold', 'sandbox')}   ${isolation.ok ? isolation.message : styleText('yellow', isolation.message)}`,
      );

      const credentials = safely(() => readCredentials(home)) ?? {};
      if (credentials.viberId)
        lines.push(`${styleText('bold', 'daemon')}    ${credentials.viberId} → ${credentials.server ?? '?'}`);

      // A diagnosis goes on when the URL is wrong: it reports the gateway as not reachable.
      // The gateway the CLI's own credentials point at (after `viber login --operator`), else the flag's.
      const url =
        safely(() => resolveGatewayTarget(home, flags).url) ??
        safely(() => resolveGatewayUrl(flags)) ??
        String(flags.gateway ?? process.env.OPENVIBER_GATEWAY_URL);
      // The health check is public: asked without a token, so it works before one is set up.
      const health = await createGatewayClient({ baseUrl: url })
        .call('health.get', { signal: AbortSignal.timeout(3000) })
        .catch(() => undefined);
      report.gateway = health ? { url, ...health } : { url, reachable: false };
      if (!health) {
        lines.push(
          `${styleText('bold', 'gateway')}   ${url} ${styleText('yellow', 'not reachable')} (start one with: npm start)`,
        );
      } else {
        lines.push(
          `${styleText('bold', 'gateway')}   ${url} ${styleText('green', 'ok')}, ${health.vibers} viber(s) online, ${health.tasks} task(s)`,
        );
        const client = safely(() => clientFromFlags(flags, home));
        const listed = client && (await client.call('vibers.list').catch(refusedToken));
        if (listed && 'refused' in listed) {
          // As `gh auth status` and `kubectl` do: the local part still shows, the refusal is
          // marked where it happened, and the exit code says the check failed.
          report.gateway = { ...(report.gateway as object), auth: { ok: false, error: listed.refused } };
          lines.push(
            `  ${styleText('red', 'token refused')}: ${listed.refused} (pass the gateway's operator token with --token or OPENVIBER_OPERATOR_TOKEN)`,
          );
          process.exitCode = 1;
        } else if (listed) {
          const { vibers } = listed;
          report.vibers = vibers;
          lines.push(
            ...vibers.flatMap((viber) => [
              `  ${viberLine(viber)}`,
              `    ${modelLine(reportedModel(viber))}`,
              ...reportedMcpServers(viber).map((server) => `    ${mcpServerLine(server)}`),
            ]),
          );
        }
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${lines.join('\n')}\n`);
    });
}

/** A 401 or 403 from the gateway becomes a value the report shows; anything else is thrown on. */
function refusedToken(error: unknown): { refused: string } {
  if (GatewayClientError.isInstance(error) && (error.status === 401 || error.status === 403))
    return { refused: `gateway answered ${error.status}: ${error.message} (${error.code})` };
  throw error;
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof CliError) return undefined;
    throw error;
  }
}

/** Today's usage on this machine against the configured limits, in one line. */
function describeBudget(
  today: { totalTokens: number; costUsd: number },
  budget: ConfigFile['budget'],
): string {
  const used = `today ${today.totalTokens.toLocaleString('en')} tokens${today.costUsd > 0 ? ` ($${today.costUsd.toFixed(4)})` : ''}`;
  const limit = (name: string, value?: { tokens?: number; costUsd?: number }) =>
    [
      value?.tokens ? `${value.tokens.toLocaleString('en')} tokens` : '',
      value?.costUsd ? `$${value.costUsd}` : '',
    ]
      .filter(Boolean)
      .map((text) => `${text} ${name}`);
  const limits = [...limit('per day', budget?.perDay), ...limit('per task', budget?.perTask)];
  return `${used}; ${limits.length ? `limits ${limits.join(', ')}` : 'no limits set (budget in config/config.json)'}`;
}
