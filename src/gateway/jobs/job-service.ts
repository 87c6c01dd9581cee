import { OpenViberError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type {
  CreateJobBody,
  JobDeletedResponse,
  JobDelivery,
  JobRunView,
  JobSchedulePreview,
  JobTarget,
  JobView,
  UpdateJobBody,
} from '../../protocol/index.ts';
import { JOBS_CHANGED } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type {
  GatewayStore,
  JobPageKey,
  JobRecord,
  JobRunPageKey,
  Page,
  PageRequest,
} from '../store/index.ts';
import { checkFloor } from './job-floor.ts';
import type { JobRunner } from './job-runner.ts';
import { checkSchedule, nextTicks, type Schedule } from './job-schedule.ts';
import { toJobRunView, toJobView } from './job-views.ts';

const NEXT_RUNS_SHOWN = 3;

/** Which jobs a page lists: every one, or those of an environment (id or name) or a viber. */
export interface JobListFilter extends PageRequest<JobPageKey> {
  environmentId?: string;
  viberId?: string;
}

export interface JobServiceDeps {
  store: GatewayStore;
  runner: Pick<JobRunner, 'fire'>;
  bus: TopicBus;
  /** No two ticks of a job closer than this (job-floor.ts). */
  minIntervalSeconds: number;
  /** Refuses a delivery whose channel does not exist (the gateway wires it to the channels). */
  checkDelivery?: (delivery: JobDelivery) => Promise<void>;
}

/** The jobs API: CRUD with every field checked, run history, run now, and the schedule preview. */
export class JobService {
  readonly #deps: JobServiceDeps;

  constructor(deps: JobServiceDeps) {
    this.#deps = deps;
  }

  preview(cron: string, timeZone: string): JobSchedulePreview {
    const schedule = this.#checked(cron, timeZone);
    const nextRuns = nextTicks(schedule, new Date(), NEXT_RUNS_SHOWN).map((at) => at.toISOString());
    return { ...schedule, nextRuns };
  }

  async create(body: CreateJobBody): Promise<JobView> {
    const schedule = this.#checked(body.cron, body.timeZone);
    const target = await this.#checkTarget(body.target);
    await this.#deps.checkDelivery?.(body.delivery);
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: newId('job'),
      name: body.name,
      ...schedule,
      goal: body.goal,
      mode: body.mode,
      ...target,
      delivery: body.delivery,
      missedRuns: body.missedRuns,
      enabled: body.enabled,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.#deps.store.insertJob(job);
    this.#changed(job.id);
    return this.#view(job);
  }

  async list(query: JobListFilter): Promise<Page<JobView, JobPageKey>> {
    const filter = query.environmentId
      ? { targetType: 'environment' as const, targetId: await this.#environmentId(query.environmentId) }
      : query.viberId
        ? { targetType: 'viber' as const, targetId: query.viberId }
        : {};
    const page = await this.#deps.store.jobPage({
      limit: query.limit,
      ...(query.after ? { after: query.after } : {}),
      ...filter,
    });
    return { items: await Promise.all(page.items.map((job) => this.#view(job))), next: page.next };
  }

  async get(idOrName: string): Promise<JobView> {
    return this.#view(await this.#require(idOrName));
  }

  async update(idOrName: string, body: UpdateJobBody): Promise<JobView> {
    const current = await this.#require(idOrName);
    const cron = body.cron ?? current.cron;
    const timeZone = body.timeZone ?? current.timeZone;
    const schedule =
      body.cron !== undefined || body.timeZone !== undefined
        ? this.#checked(cron, timeZone)
        : { cron, timeZone };
    const target = body.target ? await this.#checkTarget(body.target) : undefined;
    if (body.delivery) await this.#deps.checkDelivery?.(body.delivery);
    const updated = await this.#deps.store.updateJob(current.id, (job) => ({
      ...job,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...schedule,
      ...(body.goal !== undefined ? { goal: body.goal } : {}),
      ...(body.mode !== undefined ? { mode: body.mode } : {}),
      ...target,
      ...(body.delivery !== undefined ? { delivery: body.delivery } : {}),
      ...(body.missedRuns !== undefined ? { missedRuns: body.missedRuns } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      version: job.version + 1,
      updatedAt: new Date().toISOString(),
    }));
    if (!updated) throw notFound(idOrName);
    this.#changed(updated.id);
    return this.#view(updated);
  }

  async delete(idOrName: string): Promise<JobDeletedResponse> {
    const job = await this.#require(idOrName);
    if (!(await this.#deps.store.deleteJob(job.id))) throw notFound(idOrName);
    this.#changed(job.id);
    return { id: job.id, deletedAt: new Date().toISOString() };
  }

  async runs(idOrName: string, query: PageRequest<JobRunPageKey>): Promise<Page<JobRunView, JobRunPageKey>> {
    const job = await this.#require(idOrName);
    const page = await this.#deps.store.jobRunPage(job.id, query);
    return { items: page.items.map(toJobRunView), next: page.next };
  }

  /** Runs the job now, outside its schedule, paused or not. */
  async runNow(idOrName: string): Promise<JobRunView> {
    const job = await this.#require(idOrName);
    const { outcome, run } = await this.#deps.runner.fire(job, new Date().toISOString(), {
      trigger: 'manual',
    });
    if (outcome === 'not_found') throw notFound(idOrName);
    if (outcome !== 'claimed') {
      throw new OpenViberError(
        'conflict',
        `job ${job.name} was run at this very instant already: try again`,
        409,
      );
    }
    return toJobRunView({ ...run, taskStatus: run.taskId ? 'pending' : null });
  }

  /** A pattern and zone croner can run, whose ticks are not closer than the gateway's floor. */
  #checked(cron: string, timeZone: string): Schedule {
    const schedule = checkSchedule(cron, timeZone);
    checkFloor(schedule, this.#deps.minIntervalSeconds);
    return schedule;
  }

  async #view(job: JobRecord): Promise<JobView> {
    const [last] = await this.#deps.store.listJobRuns(job.id, 1);
    const nextRuns = job.enabled ? nextTicks(job, new Date(), NEXT_RUNS_SHOWN) : [];
    return toJobView(job, nextRuns, last ?? null);
  }

  async #require(idOrName: string): Promise<JobRecord> {
    const job = (await this.#deps.store.getJob(idOrName)) ?? (await this.#deps.store.getJobByName(idOrName));
    if (!job) throw notFound(idOrName);
    return job;
  }

  /** The target as stored: a viber that exists and is not revoked, or an environment by id or name. */
  async #checkTarget(target: JobTarget): Promise<Pick<JobRecord, 'targetType' | 'targetId'>> {
    if (target.type === 'environment') {
      return { targetType: 'environment', targetId: await this.#environmentId(target.environmentId) };
    }
    const viber = await this.#deps.store.getViber(target.viberId);
    if (!viber) {
      throw new OpenViberError('not_found', `target.viberId: viber ${target.viberId} not found`, 404);
    }
    if (viber.revokedAt) {
      throw new OpenViberError(
        'validation_failed',
        `target.viberId: viber ${target.viberId} was revoked`,
        400,
      );
    }
    return { targetType: 'viber', targetId: viber.id };
  }

  async #environmentId(idOrName: string): Promise<string> {
    const full =
      (await this.#deps.store.getEnvironment(idOrName)) ??
      (await this.#deps.store.findEnvironmentByName(idOrName));
    if (!full) {
      throw new OpenViberError('not_found', `target.environmentId: environment ${idOrName} not found`, 404);
    }
    return full.environment.id;
  }

  /** Every gateway's scheduler, this one's included, reads its jobs again. */
  #changed(jobId: string): void {
    this.#deps.bus.publish(JOBS_CHANGED, { type: 'job.changed', jobId });
  }
}

const notFound = (idOrName: string) => new OpenViberError('not_found', `job ${idOrName} not found`, 404);
