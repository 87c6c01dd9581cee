import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { ViberInfo, ViberStatus } from '../protocol/index.ts';

/** Tools this daemon offers today; grows as terminals, web and desktop land. */
export const DAEMON_CAPABILITIES = ['shell', 'file'] as const;

/** The package version, sent as `X-Viber-Version` and in ViberInfo. */
export const DAEMON_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** `linux-x64`, `darwin-arm64`, ... */
export function platformName(): string {
  return `${process.platform}-${process.arch}`;
}

export function buildViberInfo(id: string, name: string, ownedTaskIds: string[]): ViberInfo {
  return {
    id,
    name,
    version: DAEMON_VERSION,
    platform: platformName(),
    capabilities: [...DAEMON_CAPABILITIES],
    runningTasks: ownedTaskIds,
  };
}

/** Health for a heartbeat. */
export function buildViberStatus(runningTasks: number, startedAt: number): ViberStatus {
  return {
    state: runningTasks > 0 ? 'busy' : 'idle',
    runningTasks,
    uptimeSeconds: Math.max(0, (Date.now() - startedAt) / 1000),
    memoryRssBytes: process.memoryUsage.rss(),
    loadAverage: loadavg(),
  };
}
