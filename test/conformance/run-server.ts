// The official MCP conformance suite's server scenarios against the gateway's /mcp:
//   npm run conformance:server [-- <more conformance options, e.g. --scenario tools-list>]
// Starts a gateway process (`viber gateway`) on 127.0.0.1, a free port and a temporary home, with a
// token of its own; runs `conformance server` against it through a proxy that adds the bearer
// header (the suite cannot send one: bearer-proxy.ts); prints every scenario's checks and exits
// with the suite's code, which fails on a failure server-baseline.yml does not list, and on a
// listed one that passes.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, stopAllProcesses } from '../support/processes.ts';
import { removeTempDirs } from '../support/temp-dirs.ts';
import { spawnGateway } from '../support/viber-stack.ts';
import { startBearerProxy } from './bearer-proxy.ts';

const OUTPUT_DIR = join(REPO_ROOT, 'test-output/conformance-server');
const BASELINE = join(REPO_ROOT, 'test/conformance/server-baseline.yml');
const CLI = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

interface Check {
  id: string;
  name: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

async function main(): Promise<number> {
  rmSync(OUTPUT_DIR, { recursive: true, force: true });
  let proxy: Awaited<ReturnType<typeof startBearerProxy>> | undefined;
  try {
    const gateway = await spawnGateway({ name: 'conformance-gateway' });
    proxy = await startBearerProxy(gateway.url, gateway.operatorToken);
    const args = [CLI, 'server', '--url', `${proxy.url}/mcp`, '--suite', 'all'];
    args.push('--expected-failures', BASELINE, '--output-dir', OUTPUT_DIR, ...process.argv.slice(2));
    console.log(`gateway ${gateway.url}, suite against ${proxy.url}/mcp (bearer added by the proxy)`);
    const code = await run(process.execPath, args);
    summarize();
    return code;
  } finally {
    proxy?.server.close();
    proxy?.server.closeAllConnections();
    await stopAllProcesses();
    removeTempDirs();
  }
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Every scenario's checks from the suite's results folder, one line each, failures with why. */
function summarize(): void {
  if (!existsSync(OUTPUT_DIR)) {
    console.log('\nthe suite wrote no results');
    return;
  }
  const scenarios = readdirSync(OUTPUT_DIR)
    .map((name) => join(OUTPUT_DIR, name))
    .filter((path) => statSync(path).isDirectory())
    .sort();
  const totals = { passed: 0, warned: 0, failed: 0 };
  const notes: string[] = [];
  console.log('\nscenario                                  checks  passed  failed  warnings');
  for (const dir of scenarios) {
    const checks = JSON.parse(readFileSync(join(dir, 'checks.json'), 'utf8')) as Check[];
    const count = (status: Check['status']) => checks.filter((check) => check.status === status).length;
    const name = dir
      .slice(OUTPUT_DIR.length + 1)
      .replace(/^server-/, '')
      .replace(/-\d{4}-\d\d-\d\dT.*$/, '');
    const [failures, warnings] = [count('FAILURE'), count('WARNING')];
    totals[failures > 0 ? 'failed' : warnings > 0 ? 'warned' : 'passed']++;
    for (const check of checks.filter((each) => each.status === 'FAILURE' || each.status === 'WARNING')) {
      const why = check.errorMessage ?? (check as { details?: { message?: string } }).details?.message;
      notes.push(`${check.status.toLowerCase()} ${name} / ${check.id}: ${why ?? check.name}`);
    }
    console.log(
      `${name.padEnd(42)}${String(checks.length).padStart(6)}${String(count('SUCCESS')).padStart(8)}${String(failures).padStart(8)}${String(warnings).padStart(10)}`,
    );
  }
  console.log(
    `\n${scenarios.length} scenarios: ${totals.passed} passed every check, ${totals.warned} passed with warnings, ${totals.failed} failed (server-baseline.yml says why).`,
  );
  if (notes.length > 0) console.log(notes.map((line) => `  ${line}`).join('\n'));
}

process.exitCode = await main();
