import type { Hono } from 'hono';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { JobService } from './job-service.ts';

/** The job routes of the table (src/protocol/job-api.ts). */
export function jobRoutes(jobs: JobService): Hono<GatewayEnv> {
  return routes()
    .json('jobs.list', async ({ query }) => ({ jobs: await jobs.list(query) }))
    .json('jobs.create', ({ body }) => jobs.create(body))
    .json('jobs.preview', ({ body }) => jobs.preview(body.cron, body.timeZone))
    .json('jobs.get', ({ params }) => jobs.get(params.id))
    .json('jobs.update', ({ params, body }) => jobs.update(params.id, body))
    .json('jobs.delete', ({ params }) => jobs.delete(params.id))
    .json('jobs.runs', async ({ params, query }) => ({ runs: await jobs.runs(params.id, query.limit) }))
    .json('jobs.run', ({ params }) => jobs.runNow(params.id)).app;
}
