import { connect } from 'node:net';
import { createGatewayClient } from '../client/index.ts';
import type { OpenViberHome } from '../core/home.ts';
import { readCredentials } from './daemon-credentials.ts';
import { type CheckResult, fail, ok, warn } from './doctor-check.ts';
import { resolveGatewayTarget } from './gateway-client.ts';
import { findPortHolder } from './port-holder.ts';

/**
 * The running side: the gateway's /health (public, no token), its port and who holds it, the
 * clock compared with the gateway's Date header, and this machine's daemon as the gateway sees it.
 */

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '0.0.0.0']);

interface Health {
  vibers: number;
  tasks: number;
  version?: string;
  skewMs?: number;
}

async function fetchHealth(url: string): Promise<Health | { error: string }> {
  const sent = Date.now();
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
    const received = Date.now();
    if (!response.ok) return { error: `/health answered HTTP ${response.status}` };
    const body = (await response.json()) as {
      status?: string;
      vibers?: number;
      tasks?: number;
      version?: string;
    };
    if (body.status !== 'ok')
      return { error: '/health did not answer {"status":"ok"}: not an OpenViber gateway?' };
    const date = Date.parse(response.headers.get('date') ?? '');
    // The Date header has whole seconds; the middle of the round trip is the best local estimate.
    const skewMs = Number.isNaN(date) ? undefined : date - (sent + received) / 2;
    const version = body.version ?? response.headers.get('x-openviber-version') ?? undefined;
    return {
      vibers: body.vibers ?? 0,
      tasks: body.tasks ?? 0,
      ...(version ? { version } : {}),
      ...(skewMs === undefined ? {} : { skewMs }),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { error: `no answer from ${url} (${cause?.code ?? (error as Error).message})` };
  }
}

export async function checkGateway(home: OpenViberHome, url: string): Promise<CheckResult[]> {
  const health = await fetchHealth(url);
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const results: CheckResult[] = [];
  const reachable = !('error' in health);
  results.push(
    reachable
      ? ok(
          'gateway',
          `${url}: ${health.vibers} vibers, ${health.tasks} tasks, version ${health.version ?? 'not reported'}`,
        )
      : warn('gateway', health.error, 'start it: viber up, viber gateway, or viber service install'),
  );
  if (LOCAL_HOSTS.has(parsed.hostname)) {
    const found = findPortHolder(port);
    const holder = found ? `pid ${found.pid} (${found.command})` : 'a process this user cannot see';
    if (!(await listening(port))) results.push(ok('gateway port', `port ${port} is free`));
    else if (reachable) results.push(ok('gateway port', `port ${port}: the gateway, ${holder}`));
    else
      results.push(
        fail(
          'gateway port',
          `port ${port} is held by ${holder}, which does not answer as a gateway`,
          'stop that process, or run the gateway on another port (viber gateway --port N, OPENVIBER_GATEWAY_URL)',
        ),
      );
  }
  if (reachable && health.skewMs !== undefined) {
    const seconds = Math.round(Math.abs(health.skewMs) / 1000);
    const detail = `${seconds} s ${health.skewMs > 0 ? 'behind' : 'ahead of'} the gateway`;
    results.push(
      seconds < 5
        ? ok('clock', `within ${Math.max(seconds, 1)} s of the gateway`)
        : seconds < 60
          ? warn('clock', detail, 'enable time sync (timedatectl set-ntp true)')
          : fail(
              'clock',
              detail,
              'set the clock (timedatectl set-ntp true): expiries and signatures depend on it',
            ),
    );
  }
  results.push(await checkDaemon(home, url, reachable));
  return results;
}

/** Whether something accepts connections on the port (on loopback, where a local gateway listens). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function checkDaemon(home: OpenViberHome, url: string, reachable: boolean): Promise<CheckResult> {
  let credentials: ReturnType<typeof readCredentials>;
  try {
    credentials = readCredentials(home);
  } catch (error) {
    return fail('daemon', (error as Error).message, 'pair again: viber login --server URL');
  }
  if (!credentials.token || !credentials.viberId)
    return warn('daemon', 'this machine is not paired as a viber', `viber login --server ${url}`);
  const paired = `paired as ${credentials.viberId} with ${credentials.server ?? '?'}`;
  if (!reachable) return ok('daemon', `${paired}; presence unknown (no gateway)`);
  let target: ReturnType<typeof resolveGatewayTarget>;
  try {
    target = resolveGatewayTarget(home, {});
  } catch {
    return ok('daemon', `${paired}; presence needs an operator token (OPENVIBER_OPERATOR_TOKEN)`);
  }
  try {
    const viber = await createGatewayClient({ baseUrl: target.url, token: target.token }).call('vibers.get', {
      params: { id: credentials.viberId },
      signal: AbortSignal.timeout(3000),
    });
    const version = viber.info?.version ? `, version ${viber.info.version}` : '';
    return viber.presence === 'offline'
      ? warn(
          'daemon',
          `${paired}: offline`,
          'viber start, or systemctl --user start openviber-daemon.service',
        )
      : ok('daemon', `${paired}: ${viber.presence}${version}`);
  } catch (error) {
    return warn('daemon', `${paired}; the gateway did not say more: ${(error as Error).message}`);
  }
}
