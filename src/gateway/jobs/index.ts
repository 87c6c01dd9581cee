// Scheduled jobs on the gateway (docs/jobs.md): the REST routes, and the scheduler every gateway
// runs, whose claims in the shared store make each tick start one task across gateways.
import type { Hono } from 'hono';
import type { Logger } from '../../core/logger.ts';
import type { JobDelivery } from '../../protocol/index.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { GatewayStore } from '../store/index.ts';
import type { TaskPlacement } from '../tasks/task-routes.ts';
import { minIntervalSeconds } from './job-floor.ts';
import { jobRoutes } from './job-routes.ts';
import { type JobDeliverHook, JobRunner } from './job-runner.ts';
import { JobScheduler } from './job-scheduler.ts';
import { JobService } from './job-service.ts';

export type { JobDeliverHook, JobRunStarted } from './job-runner.ts';

export interface Jobs {
  /** Mount at the root, behind the operator auth. */
  routes: Hono<GatewayEnv>;
  scheduler: JobScheduler;
}

export interface JobsDeps {
  store: GatewayStore;
  bus: TopicBus;
  placement: Pick<TaskPlacement, 'place'>;
  log: Logger;
  /** Told of each run whose task was created (a channel delivery hangs here). */
  deliver?: JobDeliverHook;
  /** Refuses a job's delivery to a channel that does not exist (the gateway wires the channels). */
  checkDelivery?: (delivery: JobDelivery) => Promise<void>;
  /** The floor of a job's schedule in seconds (job-floor.ts); default OPENVIBER_JOB_MIN_INTERVAL_SECONDS, else 60. */
  minIntervalSeconds?: number;
}

export function openJobs(deps: JobsDeps): Jobs {
  const log = deps.log.child({ component: 'jobs' });
  const runner = new JobRunner({ ...deps, log });
  const scheduler = new JobScheduler({ store: deps.store, runner, bus: deps.bus, log });
  const service = new JobService({
    store: deps.store,
    runner,
    bus: deps.bus,
    minIntervalSeconds: minIntervalSeconds(deps.minIntervalSeconds),
    ...(deps.checkDelivery ? { checkDelivery: deps.checkDelivery } : {}),
  });
  return { routes: jobRoutes(service), scheduler };
}
