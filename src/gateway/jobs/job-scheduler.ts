import type { Logger } from '../../core/logger.ts';
import { JOBS_CHANGED } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { JobRecord, JobsStore } from '../store/index.ts';
import type { JobRunner } from './job-runner.ts';
import { dueTicks, nextTick } from './job-schedule.ts';

/** Longest sleep between two looks at the jobs: a change another gateway's bus notice missed. */
export const SCHEDULER_CAP_MS = 30_000;
/** A tick found later than this after its time was missed (the gateway was down or stalled). */
export const LATE_MS = 30_000;
/** After a look failed (the store down), the next one. */
const RETRY_MS = 2_000;

export interface JobSchedulerDeps {
  store: Pick<JobsStore, 'listJobs' | 'lastScheduledTick'>;
  runner: Pick<JobRunner, 'fire' | 'skip'>;
  bus: TopicBus;
  log: Logger;
  /** Milliseconds since the epoch; tests give their own. */
  now?: () => number;
  lateMs?: number;
  capMs?: number;
}

/** Up to where this gateway has handled a job's ticks, for the job version it read. */
interface Cursor {
  version: number;
  at: number;
}

/**
 * Every gateway runs one. It sleeps until the earliest next tick of the enabled jobs (at most
 * SCHEDULER_CAP_MS, and less when a job changes: JOBS_CHANGED), then hands each due tick to the
 * runner, whose claim in the store decides which gateway starts it: the rest find it taken.
 *
 * Missed ticks (docs/jobs.md, "Missed runs"): a job's ticks are handled up to a cursor, which
 * starts, when a gateway first sees the job or its new version, at the latest of its last
 * scheduled run and its last change (so a resumed job does not catch up on its pause). Ticks due
 * since, but more than LATE_MS ago, were missed: under `skip` one `skipped` run records the latest
 * of them with their count; under `run-once` the latest runs, once. A tick on time runs, and the
 * missed ones before it are recorded as one skipped run (the on-time run covers them).
 */
export class JobScheduler {
  readonly #deps: JobSchedulerDeps;
  readonly #cursors = new Map<string, Cursor>();
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #again = false;
  #stopped = true;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: JobSchedulerDeps) {
    this.#deps = deps;
  }

  get #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    // A job changed; a run recorded (by this gateway or another) changes no schedule.
    this.#unsubscribe = this.#deps.bus.subscribe(JOBS_CHANGED, (notice) => {
      if (notice.type === 'job.changed') this.wake();
    });
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.wake();
    await this.#loop;
  }

  /** Look at the jobs now (one changed). */
  wake(): void {
    this.#again = true;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      this.#again = false;
      let nextAt: number;
      try {
        nextAt = await this.evaluate(this.#now);
      } catch (error) {
        this.#deps.log.error({ err: error }, 'the job scheduler could not read its jobs');
        nextAt = this.#now + RETRY_MS;
      }
      if (this.#stopped || this.#again) continue;
      const delay = Math.max(0, Math.min(nextAt - this.#now, this.#deps.capMs ?? SCHEDULER_CAP_MS));
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, delay);
      });
      this.#wake = undefined;
    }
  }

  /**
   * One look at every enabled job at time `now`: the due ticks are run, skipped or caught up.
   * Returns when the next tick of any job comes (Infinity: none). Tests call it with their clock.
   */
  async evaluate(now: number): Promise<number> {
    const jobs = await this.#deps.store.listJobs({ enabledOnly: true });
    const present = new Set(jobs.map((job) => job.id));
    for (const id of this.#cursors.keys()) if (!present.has(id)) this.#cursors.delete(id);
    let nextAt = Number.POSITIVE_INFINITY;
    for (const job of jobs) {
      try {
        await this.#handle(job, now);
      } catch (error) {
        // Left where it was: the next look tries again, and a claim made twice is taken once.
        this.#deps.log.error({ err: error, jobId: job.id }, 'a job tick could not be handled');
        nextAt = Math.min(nextAt, now + RETRY_MS);
        continue;
      }
      const next = nextTick(job, new Date(now));
      if (next) nextAt = Math.min(nextAt, next.getTime());
    }
    return nextAt;
  }

  async #handle(job: JobRecord, now: number): Promise<void> {
    let cursor = this.#cursors.get(job.id);
    if (!cursor || cursor.version !== job.version) {
      cursor = { version: job.version, at: Math.max(Date.parse(job.updatedAt), cursor?.at ?? 0) };
      cursor.at = Math.max(cursor.at, await this.#lastTick(job.id));
      this.#cursors.set(job.id, cursor);
    }
    let due = dueTicks(job, new Date(cursor.at), new Date(now));
    if (due.count === 0) return;
    const late = this.#deps.lateMs ?? LATE_MS;
    if (due.count > 1 || now - due.latest!.getTime() > late) {
      // Missed, here: another gateway may have run them meanwhile, which its runs say.
      const last = await this.#lastTick(job.id);
      if (last > cursor.at) {
        cursor.at = last;
        due = dueTicks(job, new Date(cursor.at), new Date(now));
        if (due.count === 0) return;
      }
    }
    const latest = due.latest!;
    const onTime = now - latest.getTime() <= late;
    const missed = onTime ? due.count - 1 : due.count;
    const missedLatest = onTime ? due.beforeLatest : latest;
    const { version } = job;
    if (onTime) await this.#deps.runner.fire(job, latest.toISOString(), { trigger: 'schedule', version });
    if (missed > 0 && missedLatest) {
      const count = due.more ? `more than ${missed}` : String(missed);
      if (onTime) {
        const reason = `${count} missed tick${missed === 1 ? '' : 's'} before the run at ${latest.toISOString()}, which covers them`;
        await this.#deps.runner.skip(job, missedLatest.toISOString(), missed, reason, version);
      } else if (job.missedRuns === 'skip') {
        const reason = `${count} tick${missed === 1 ? '' : 's'} missed while no gateway ran the schedule (policy skip)`;
        await this.#deps.runner.skip(job, missedLatest.toISOString(), missed, reason, version);
      } else {
        await this.#deps.runner.fire(job, missedLatest.toISOString(), {
          trigger: 'missed',
          missedTicks: missed,
          version,
        });
      }
    }
    cursor.at = now;
  }

  async #lastTick(jobId: string): Promise<number> {
    const last = await this.#deps.store.lastScheduledTick(jobId);
    return last ? Date.parse(last) : 0;
  }
}
