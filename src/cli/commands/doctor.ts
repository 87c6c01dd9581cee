import { styleText } from 'node:util';
import type { Command } from 'commander';
import { resolveHome } from '../../core/home.ts';
import type { CheckResult } from '../doctor-check.ts';
import { checkGateway } from '../doctor-gateway.ts';
import { checkHomeFolders, checkHomePermissions, checkStaleFiles } from '../doctor-home.ts';
import { checkConfig, checkNode, checkProviders, checkTools } from '../doctor-system.ts';
import { resolveGatewayUrl } from '../gateway-client.ts';

interface DoctorFlags {
  fix?: boolean;
  json?: boolean;
  gateway?: string;
}

const MARKS = {
  ok: styleText('green', 'ok  '),
  warn: styleText('yellow', 'warn'),
  fail: styleText('red', 'fail'),
};

/** `viber doctor [--fix] [--json]`: what is wrong with this machine's OpenViber, and how to fix it. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check Node, the home, config, providers, tools, the gateway and the daemon')
    .option('--fix', 'repair what is safe: home permissions, missing folders, stale files')
    .option('--json', 'print the checks as JSON')
    .option('--gateway <url>', 'gateway URL (default OPENVIBER_GATEWAY_URL or http://127.0.0.1:6007)')
    .action(async (flags: DoctorFlags) => {
      const checks = await runDoctor(flags);
      const failed = checks.some((check) => check.status === 'fail');
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ok: !failed, checks }, null, 2)}\n`);
      } else {
        for (const check of checks) {
          process.stdout.write(`${MARKS[check.status]}  ${check.name}: ${check.detail}\n`);
          for (const line of check.fixed ?? []) process.stdout.write(`      fixed: ${line}\n`);
          if (check.hint && check.status !== 'ok') process.stdout.write(`      hint: ${check.hint}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}

export async function runDoctor(flags: DoctorFlags): Promise<CheckResult[]> {
  const home = resolveHome();
  const fix = Boolean(flags.fix);
  // Folders first: a fixed folder is then checked for its permissions like the others.
  const checks: CheckResult[] = [checkNode(), checkHomeFolders(home, fix), checkHomePermissions(home, fix)];
  checks.push(await checkStaleFiles(home, fix));
  const { result, config } = checkConfig(home);
  checks.push(result);
  if (config) checks.push(...(await checkProviders(config)));
  checks.push(...checkTools());
  checks.push(...(await checkGateway(home, resolveGatewayUrl(flags))));
  return checks;
}
