import { z } from 'zod';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * A daemon's own counters since its process started, sent in each heartbeat (optional: a daemon
 * that predates them sends none). The gateway keeps the latest per connected viber and serves
 * them on `GET /metrics` labelled by viber (docs/operations.md). Each only grows; a restarted
 * daemon starts again from zero, which Prometheus reads as a counter reset.
 */
export const DaemonMetricsSchema = z.object({
  /** Model steps whose latency was measured: from the step's start to the model's first part. */
  modelCalls: count,
  /** The sum of those latencies, in seconds. */
  modelLatencySeconds: z.number().min(0),
  /** Tokens the model read and wrote, from the usage each step reports. */
  inputTokens: count,
  outputTokens: count,
  /** Tool calls the model made (`tool-input-available` and `tool-input-error` parts). */
  toolCalls: count,
  /** Of which failed: bad input (`tool-input-error`) or a failing run (`tool-output-error`). */
  toolFailures: count,
});
export type DaemonMetrics = z.infer<typeof DaemonMetricsSchema>;
