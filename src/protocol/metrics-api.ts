import type { RestRoute } from './rest-route.ts';

/** The media type of the Prometheus text exposition format, version 0.0.4. */
export const METRICS_MEDIA_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The gateway's metrics for a Prometheus scraper (docs/operations.md). Any operator device may
 * read them; so may a scraper holding only the gateway's metrics token (OPENVIBER_METRICS_TOKEN),
 * which opens this route and nothing else.
 */
export const METRICS_ROUTES = {
  'metrics.get': {
    kind: 'file',
    method: 'GET',
    path: '/metrics',
    scope: 'operator',
    summary:
      'The gateway and its vibers as Prometheus text (format 0.0.4); an operator device or the metrics token.',
    mediaTypes: [METRICS_MEDIA_TYPE],
  },
} as const satisfies Record<string, RestRoute>;
