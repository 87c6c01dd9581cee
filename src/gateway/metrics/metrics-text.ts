import { ConnectRefusalCodeSchema, type TaskStatus } from '../../protocol/index.ts';
import { ExpositionText } from './exposition.ts';
import {
  type AuthFailureReason,
  DELEGATION_REFUSAL_REASONS,
  type GatewayMetrics,
} from './gateway-metrics.ts';

/** Every reason an HTTP caller is counted under, listed even at 0 so `rate()` sees each from the start. */
const HTTP_AUTH_REASONS: readonly AuthFailureReason[] = [
  'missing_credentials',
  'invalid_credentials',
  'rate_limited',
  'scope_denied',
  'cross_origin',
];

/** Where `GET /metrics` reads what the gateway counts elsewhere: each a number kept in memory, but the outbox. */
export interface MetricsSources {
  metrics: GatewayMetrics;
  /** Daemon sockets open now, and whether a viber is among them. */
  connections: { readonly size: number; isOnline(viberId: string): boolean };
  taskStates: { entries(): Iterable<[TaskStatus, number]> };
  taskStreams: { readonly size: number };
  boardStreams: { readonly size: number };
  /** Commands in the durable outbox waiting for a daemon's acknowledgement (one COUNT). */
  outboxDepth(): Promise<number>;
  bus: { readonly listenerFailures: number };
  /** Sockets refused in the connect handshake, by code. */
  handshakeRefusals: ReadonlyMap<string, number>;
}

/** The text `GET /metrics` answers (docs/operations.md lists each family). */
export async function metricsText(sources: MetricsSources): Promise<string> {
  const { metrics } = sources;
  const text = new ExpositionText();
  text
    .family('openviber_vibers_connected', 'gauge', 'Vibers (daemons) connected to this gateway now.')
    .sample('openviber_vibers_connected', sources.connections.size);
  text.family('openviber_tasks', 'gauge', 'Tasks in the store, by state.');
  for (const [state, count] of sources.taskStates.entries()) text.sample('openviber_tasks', count, { state });
  text
    .family(
      'openviber_streams_open',
      'gauge',
      'SSE readers connected now: task streams and board event streams.',
    )
    .sample('openviber_streams_open', sources.taskStreams.size, { stream: 'task' })
    .sample('openviber_streams_open', sources.boardStreams.size, { stream: 'board' });
  text
    .family('openviber_events_stored_total', 'counter', 'Task events stored in the durable log.')
    .sample('openviber_events_stored_total', metrics.eventsStored)
    .family(
      'openviber_events_relayed_total',
      'counter',
      'Stream chunks written to SSE readers, one per reader.',
    )
    .sample('openviber_events_relayed_total', metrics.eventsRelayed);
  text.histogram(
    'openviber_relay_latency_seconds',
    'From a chunk reaching the gateway to its write to a reader that keeps up.',
    metrics.relayLatency,
  );
  text
    .family('openviber_outbox_commands', 'gauge', 'Commands waiting for a daemon to acknowledge them.')
    .sample('openviber_outbox_commands', await sources.outboxDepth());
  text.family('openviber_auth_failures_total', 'counter', 'Callers refused, by transport and reason.');
  for (const reason of HTTP_AUTH_REASONS) {
    text.sample('openviber_auth_failures_total', metrics.authFailures.get(reason) ?? 0, {
      transport: 'http',
      reason,
    });
  }
  for (const code of ConnectRefusalCodeSchema.options) {
    text.sample('openviber_auth_failures_total', sources.handshakeRefusals.get(code) ?? 0, {
      transport: 'socket',
      reason: code,
    });
  }
  text
    .family(
      'openviber_delegations_total',
      'counter',
      'Delegate requests of running tasks: child tasks started, and refusals by reason.',
    )
    .sample('openviber_delegations_total', metrics.delegationsStarted, { outcome: 'started' });
  for (const reason of DELEGATION_REFUSAL_REASONS) {
    text.sample('openviber_delegations_total', metrics.delegationRefusals.get(reason) ?? 0, {
      outcome: 'refused',
      reason,
    });
  }
  text
    .family('openviber_store_errors_total', 'counter', 'Store transactions that failed and were rolled back.')
    .sample('openviber_store_errors_total', metrics.storeErrors)
    .family('openviber_bus_errors_total', 'counter', 'Bus listeners that threw (logged and skipped).')
    .sample('openviber_bus_errors_total', sources.bus.listenerFailures);
  vibersText(text, sources);
  return text.toString();
}

/** Each connected viber's figures from its last heartbeat, labelled by its id. */
function vibersText(text: ExpositionText, sources: MetricsSources): void {
  const reports = [...sources.metrics.vibers].filter(([viber]) => sources.connections.isOnline(viber));
  text.family(
    'openviber_viber_running_tasks',
    'gauge',
    'Tasks running on the viber, from its last heartbeat.',
  );
  for (const [viber, report] of reports)
    text.sample('openviber_viber_running_tasks', report.runningTasks, { viber });
  const counted = reports.flatMap(([viber, report]) =>
    report.metrics ? [{ viber, ...report.metrics }] : [],
  );
  text.family(
    'openviber_viber_model_latency_seconds',
    'summary',
    "The viber's model steps: from a step's start to the model's first part.",
  );
  for (const { viber, modelLatencySeconds, modelCalls } of counted) {
    text
      .sample('openviber_viber_model_latency_seconds_sum', modelLatencySeconds, { viber })
      .sample('openviber_viber_model_latency_seconds_count', modelCalls, { viber });
  }
  text.family(
    'openviber_viber_model_tokens_total',
    'counter',
    'Tokens the models read (input) and wrote (output).',
  );
  for (const { viber, inputTokens, outputTokens } of counted) {
    text
      .sample('openviber_viber_model_tokens_total', inputTokens, { viber, direction: 'input' })
      .sample('openviber_viber_model_tokens_total', outputTokens, { viber, direction: 'output' });
  }
  text.family('openviber_viber_tool_calls_total', 'counter', 'Tool calls the models made on the viber.');
  for (const { viber, toolCalls } of counted)
    text.sample('openviber_viber_tool_calls_total', toolCalls, { viber });
  text.family(
    'openviber_viber_tool_failures_total',
    'counter',
    'Tool calls that failed (bad input or a failing run).',
  );
  for (const { viber, toolFailures } of counted) {
    text.sample('openviber_viber_tool_failures_total', toolFailures, { viber });
  }
}
