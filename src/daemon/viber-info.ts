import { loadavg } from 'node:os';
import { chromiumStatus } from '../agent/tools/browser/index.ts';
import { OPENVIBER_VERSION } from '../core/version.ts';
import type { UnavailableCapability, ViberInfo, ViberStatus } from '../protocol/index.ts';

/** Tools this daemon offers today; grows as terminals, web and desktop land. */
export const DAEMON_CAPABILITIES = ['shell', 'file'] as const;

/** The package version, sent as `X-Viber-Version` and in ViberInfo. */
export const DAEMON_VERSION: string = OPENVIBER_VERSION;

/** `linux-x64`, `darwin-arm64`, ... */
export function platformName(): string {
  return `${process.platform}-${process.arch}`;
}

/** A capability a flag asked for (`--desktop`): offered when available, else reported with why. */
export type RequestedCapability =
  | { name: string; available: true }
  | ({ available: false } & UnavailableCapability);

export function buildViberInfo(
  id: string,
  name: string,
  ownedTaskIds: string[],
  requested: readonly RequestedCapability[] = [],
): ViberInfo {
  const unavailable = requested.flatMap((entry) =>
    entry.available ? [] : [{ name: entry.name, reason: entry.reason }],
  );
  return {
    id,
    name,
    version: DAEMON_VERSION,
    platform: platformName(),
    capabilities: [
      ...DAEMON_CAPABILITIES,
      ...optionalCapabilities(process.env),
      ...requested.filter((entry) => entry.available).map((entry) => entry.name),
    ],
    ...(unavailable.length > 0 ? { unavailableCapabilities: unavailable } : {}),
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

/** Capabilities that depend on the machine: `browser` only where a Chromium is usable. */
export function optionalCapabilities(env: NodeJS.ProcessEnv): string[] {
  return chromiumStatus(env).available ? ['browser'] : [];
}
