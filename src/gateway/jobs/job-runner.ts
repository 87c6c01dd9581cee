import { OpenViberError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { CreateTaskBody, JobRunTrigger } from '../../protocol/index.ts';
import { JOBS_CHANGED, VIBER_OUTBOX } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { GatewayStore, JobClaimOutcome, JobRecord, JobRunRecord, TaskRecord } from '../store/index.ts';
import { newTaskSubmission } from '../tasks/task-router.ts';
import type { TaskPlacement } from '../tasks/task-routes.ts';

/** A run whose task was created: where the lead wires delivery to a channel (docs/jobs.md). */
export interface JobRunStarted {
  job: JobRecord;
  run: JobRunRecord;
  task: TaskRecord;
}
export type JobDeliverHook = (started: JobRunStarted) => void | Promise<void>;

export interface JobRunnerDeps {
  store: GatewayStore;
  bus: TopicBus;
  placement: Pick<TaskPlacement, 'place'>;
  log: Logger;
  deliver?: JobDeliverHook;
}

export interface FireOptions {
  trigger: JobRunTrigger;
  /** For a caught-up tick: how many ticks were missed. */
  missedTicks?: number | null;
  /** The job version the tick was computed from (absent for a manual run). */
  version?: number;
}

/**
 * Turns a tick into a run: the task is built the way POST /api/tasks builds it (placement in an
 * environment, then the task and its `task:submit`), and the store's claim decides, in one
 * transaction, whether this call is the one that starts it. A target that cannot take the task
 * (a viber revoked or gone, an environment not mapped or not ready) makes a `failed-to-start` run
 * that says why; an offline viber does not: its task waits pending in the outbox, as any task.
 */
export class JobRunner {
  readonly #deps: JobRunnerDeps;

  constructor(deps: JobRunnerDeps) {
    this.#deps = deps;
  }

  async fire(
    job: JobRecord,
    scheduledFor: string,
    options: FireOptions,
  ): Promise<{ outcome: JobClaimOutcome; run: JobRunRecord }> {
    const body: CreateTaskBody = {
      goal: job.goal,
      ...(job.targetType === 'viber' ? { viberId: job.targetId } : {}),
      options: {
        mode: job.mode,
        ...(job.targetType === 'environment' ? { environmentId: job.targetId } : {}),
      },
    };
    let placed: CreateTaskBody | undefined;
    let error: string | null = null;
    try {
      placed = await this.#place(job, body);
    } catch (caught) {
      if (!OpenViberError.isInstance(caught)) throw caught;
      error = caught.message;
    }
    const submission = placed?.viberId ? newTaskSubmission(placed.viberId, placed) : undefined;
    const run: JobRunRecord = {
      id: newId('jobRun'),
      jobId: job.id,
      scheduledFor,
      trigger: options.trigger,
      status: submission ? 'started' : 'failed-to-start',
      missedTicks: options.missedTicks ?? null,
      taskId: submission?.task.id ?? null,
      error,
      createdAt: new Date().toISOString(),
    };
    const outcome = await this.#deps.store.claimJobRun({
      run,
      ...(submission ? { task: submission } : {}),
      ...(options.version !== undefined ? { version: options.version } : {}),
    });
    const fields = { jobId: job.id, scheduledFor, trigger: options.trigger, outcome, taskId: run.taskId };
    if (outcome !== 'claimed') {
      this.#deps.log.debug(fields, 'job tick not claimed here');
      return { outcome, run };
    }
    this.#recorded(run);
    if (!submission) {
      this.#deps.log.warn({ ...fields, error }, 'job run failed to start');
      return { outcome, run };
    }
    this.#deps.log.info({ ...fields, viberId: submission.task.viberId }, 'job run started');
    // The daemon's gateway (this one or another) sends the queued task:submit from the outbox.
    this.#deps.bus.publish(VIBER_OUTBOX, { viberId: submission.task.viberId });
    await this.#tellDeliver({ job, run, task: submission.task });
    return { outcome, run };
  }

  /** One `skipped` row for missed ticks (the `skip` policy): the latest one, with their count. */
  async skip(job: JobRecord, scheduledFor: string, missedTicks: number, reason: string, version: number) {
    const run: JobRunRecord = {
      id: newId('jobRun'),
      jobId: job.id,
      scheduledFor,
      trigger: 'missed',
      status: 'skipped',
      missedTicks,
      taskId: null,
      error: reason,
      createdAt: new Date().toISOString(),
    };
    const outcome = await this.#deps.store.claimJobRun({ run, version });
    if (outcome === 'claimed') {
      this.#deps.log.info({ jobId: job.id, scheduledFor, missedTicks }, 'missed job ticks skipped');
      this.#recorded(run);
    }
    return { outcome, run };
  }

  /** Boards on every gateway show the new run (a board event); schedulers ignore it. */
  #recorded(run: JobRunRecord): void {
    this.#deps.bus.publish(JOBS_CHANGED, { type: 'job.run-recorded', jobId: run.jobId, runId: run.id });
  }

  async #place(job: JobRecord, body: CreateTaskBody): Promise<CreateTaskBody> {
    if (job.targetType === 'environment') return this.#deps.placement.place(body);
    const viber = await this.#deps.store.getViber(job.targetId);
    if (!viber) throw new OpenViberError('not_found', `viber ${job.targetId} not found`, 404);
    if (viber.revokedAt) throw new OpenViberError('conflict', `viber ${job.targetId} was revoked`, 409);
    return body;
  }

  async #tellDeliver(started: JobRunStarted): Promise<void> {
    try {
      await this.#deps.deliver?.(started);
    } catch (error) {
      this.#deps.log.error(
        { err: error, jobId: started.job.id, taskId: started.task.id },
        'job delivery hook failed',
      );
    }
  }
}
