import type {
  AutonomyMode,
  JobDelivery,
  JobRunStatus,
  JobRunTrigger,
  MissedRunPolicy,
  TaskStatus,
} from '../../protocol/index.ts';
import type { NewCommand } from './outbox-store.ts';
import type { Page, PageRequest } from './store-page.ts';
import type { TaskRecord } from './tasks-store.ts';

export interface JobRecord {
  id: string;
  /** Unique among jobs. */
  name: string;
  cron: string;
  /** IANA, as Intl names it. */
  timeZone: string;
  goal: string;
  mode: AutonomyMode;
  targetType: 'viber' | 'environment';
  targetId: string;
  delivery: JobDelivery;
  missedRuns: MissedRunPolicy;
  enabled: boolean;
  /** Raised by every update: a tick computed from an older version is not claimed. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface JobRunRecord {
  id: string;
  jobId: string;
  /** The tick, ISO 8601 UTC: (jobId, scheduledFor) is unique, which is what makes a tick run once. */
  scheduledFor: string;
  trigger: JobRunTrigger;
  status: JobRunStatus;
  missedTicks: number | null;
  taskId: string | null;
  error: string | null;
  createdAt: string;
}

/** A run as listed: with its task's status read from the task. */
export interface JobRunRow extends JobRunRecord {
  taskStatus: TaskStatus | null;
}

export interface JobFilter {
  targetType?: JobRecord['targetType'];
  targetId?: string;
  enabledOnly?: boolean;
}

/** Jobs by name (names are unique): the name of a page's last job. */
export type JobPageKey = readonly [name: string];

/** A page of jobs by name, of every target or of one (jobs_by_target_name). */
export interface JobPageQuery extends PageRequest<JobPageKey> {
  targetType?: JobRecord['targetType'];
  targetId?: string;
}

/** A job's runs, newest tick first: the tick of a page's last run (unique per job). */
export type JobRunPageKey = readonly [scheduledFor: string];

/** One tick claimed, and the task it starts when the claim wins. */
export interface JobClaim {
  run: JobRunRecord;
  /** The task and its `task:submit`, created only when this claim wins the tick. */
  task?: { task: TaskRecord; submit: NewCommand };
  /**
   * The job version the tick was computed from: a job changed or paused since is not claimed
   * (`stale`). Absent for a manual run, which needs only that the job exists.
   */
  version?: number;
}

/** `claimed`: this call inserted the run (and its task); `taken`: the tick has a run already. */
export type JobClaimOutcome = 'claimed' | 'taken' | 'stale' | 'not_found';

/**
 * Scheduled jobs and their runs. `claimJobRun` is the one place a tick is decided: the run row,
 * unique per (job, tick), goes in with ON CONFLICT DO NOTHING, and the task with its submit
 * command only for the caller whose row went in, all in one transaction, so gateways that claim
 * the same tick at once start one task between them.
 */
export interface JobsStore {
  /** Throws a conflict when the name is taken. */
  insertJob(job: JobRecord): Promise<void>;
  getJob(id: string): Promise<JobRecord | null>;
  getJobByName(name: string): Promise<JobRecord | null>;
  /** By name, every one (the schedulers read them all). */
  listJobs(filter?: JobFilter): Promise<JobRecord[]>;
  /** A keyset page of jobs by name (a range of the name index, or of jobs_by_target_name). */
  jobPage(query: JobPageQuery): Promise<Page<JobRecord, JobPageKey>>;
  /**
   * Reads the job, calls `decide` in the transaction and writes what it returns (null: leave it).
   * Returns null when the job does not exist. Throws a conflict when a new name is taken.
   */
  updateJob(id: string, decide: (job: JobRecord) => JobRecord | null): Promise<JobRecord | null>;
  /** Deletes the job and its runs (their tasks stay); false when it did not exist. */
  deleteJob(id: string): Promise<boolean>;
  claimJobRun(claim: JobClaim): Promise<JobClaimOutcome>;
  /** Newest tick first, at most `limit`. */
  listJobRuns(jobId: string, limit: number): Promise<JobRunRow[]>;
  /** A keyset page of the job's runs, newest tick first (a range of the (job, tick) unique index). */
  jobRunPage(jobId: string, query: PageRequest<JobRunPageKey>): Promise<Page<JobRunRow, JobRunPageKey>>;
  /** The newest tick of a run the schedule made (not a manual one), or null. */
  lastScheduledTick(jobId: string): Promise<string | null>;
}
