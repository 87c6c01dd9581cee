import type { Hono } from 'hono';
import { cursorKind, nextCursor, pageRequest } from '../http/page-cursor.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import type { JobService } from './job-service.ts';

/**
 * The cursors of the jobs' lists (docs/rest-api.md, "Lists, a page at a time"): jobs by name (a
 * name is unique), a job's runs by tick (unique per job), newest first.
 */
export const JOB_CURSORS = {
  jobs: cursorKind('jobs', ['string']),
  runs: cursorKind('job runs', ['string']),
} as const;

/** The job routes of the table (src/protocol/job-api.ts). */
export function jobRoutes(jobs: JobService): Hono<GatewayEnv> {
  return routes()
    .json('jobs.list', async ({ query }) => {
      const page = await jobs.list({ ...query, ...pageRequest(JOB_CURSORS.jobs, query) });
      return { jobs: page.items, nextCursor: nextCursor(JOB_CURSORS.jobs, page) };
    })
    .json('jobs.create', ({ body }) => jobs.create(body))
    .json('jobs.preview', ({ body }) => jobs.preview(body.cron, body.timeZone))
    .json('jobs.get', ({ params }) => jobs.get(params.id))
    .json('jobs.update', ({ params, body }) => jobs.update(params.id, body))
    .json('jobs.delete', ({ params }) => jobs.delete(params.id))
    .json('jobs.runs', async ({ params, query }) => {
      const page = await jobs.runs(params.id, pageRequest(JOB_CURSORS.runs, query));
      return { runs: page.items, nextCursor: nextCursor(JOB_CURSORS.runs, page) };
    })
    .json('jobs.run', ({ params }) => jobs.runNow(params.id)).app;
}
