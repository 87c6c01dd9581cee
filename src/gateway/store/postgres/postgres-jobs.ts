import { jobFromRow, nameTaken, runFromRow } from '../job-rows.ts';
import type { JobRecord, JobRunPageKey, JobsStore } from '../jobs-store.ts';
import { type PageRequest, pageOf } from '../store-page.ts';
import type { PostgresDatabase, Statements } from './postgres-database.ts';
import { isUniqueViolation } from './postgres-failures.ts';
import { writeNewTask } from './postgres-tasks.ts';

const INSERT_JOB = `INSERT INTO jobs (id, name, cron, time_zone, goal, mode, target_type, target_id, delivery,
  missed_runs, enabled, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
  $13, $14)`;
const UPDATE_JOB = `UPDATE jobs SET name = $2, cron = $3, time_zone = $4, goal = $5, mode = $6, target_type = $7,
  target_id = $8, delivery = $9, missed_runs = $10, enabled = $11, version = $12, created_at = $13,
  updated_at = $14 WHERE id = $1`;
const INSERT_RUN = `INSERT INTO job_runs (id, job_id, scheduled_for, trigger, status, missed_ticks, task_id, error,
  created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (job_id, scheduled_for) DO NOTHING`;

const jobValues = (job: JobRecord): unknown[] => [
  job.id,
  job.name,
  job.cron,
  job.timeZone,
  job.goal,
  job.mode,
  job.targetType,
  job.targetId,
  JSON.stringify(job.delivery),
  job.missedRuns,
  job.enabled,
  job.version,
  job.createdAt,
  job.updatedAt,
];

/**
 * Scheduled jobs and their runs on PostgreSQL (JobsStore). A claim reads the job FOR SHARE (an
 * update or delete waits for it, and it for them) and inserts the run with ON CONFLICT DO
 * NOTHING: of two gateways inserting the same tick, the second waits for the first to commit and
 * then inserts nothing, so only the first creates the task.
 */
export function postgresJobs(db: PostgresDatabase): JobsStore {
  const byId = async (on: Statements, id: string, lock = ''): Promise<JobRecord | null> => {
    const row = await on.get(`SELECT * FROM jobs WHERE id = $1 ${lock}`, [id]);
    return row ? jobFromRow(row) : null;
  };
  /** Newest tick first from the cursor on: a range of the (job_id, scheduled_for) unique index. */
  const runPage = async (jobId: string, query: PageRequest<JobRunPageKey>) => {
    const values: unknown[] = [jobId, query.limit + 1];
    if (query.after) values.push(query.after[0]);
    const rows = await db.all(
      `SELECT r.*, t.status AS task_status FROM job_runs r LEFT JOIN tasks t ON t.id = r.task_id
        WHERE r.job_id = $1 ${query.after ? 'AND r.scheduled_for < $3' : ''}
        ORDER BY r.scheduled_for DESC LIMIT $2`,
      values,
    );
    return pageOf(rows, query.limit, runFromRow, (row) => [row.scheduled_for as string] as const);
  };
  /** A write that may meet another transaction's name: the unique index says conflict too. */
  const guardName = async <T>(name: () => string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (error) {
      throw isUniqueViolation(error, 'jobs_name_key') ? nameTaken(name()) : error;
    }
  };
  return {
    async insertJob(job) {
      await guardName(
        () => job.name,
        () =>
          db.transaction(async (tx) => {
            const taken = await tx.get('SELECT id FROM jobs WHERE name = $1', [job.name]);
            if (taken) throw nameTaken(job.name, taken.id);
            await tx.run(INSERT_JOB, jobValues(job));
          }),
      );
    },
    async getJob(id) {
      return byId(db, id);
    },
    async getJobByName(name) {
      const row = await db.get('SELECT * FROM jobs WHERE name = $1', [name]);
      return row ? jobFromRow(row) : null;
    },
    async listJobs(filter = {}) {
      const where: string[] = [];
      const values: unknown[] = [];
      if (filter.targetType !== undefined) {
        values.push(filter.targetType);
        where.push(`target_type = $${values.length}`);
      }
      if (filter.targetId !== undefined) {
        values.push(filter.targetId);
        where.push(`target_id = $${values.length}`);
      }
      if (filter.enabledOnly) where.push('enabled');
      const rows = await db.all(
        `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, id`,
        values,
      );
      return rows.map(jobFromRow);
    },
    async jobPage(query) {
      // A range of the name's unique index, or of jobs_by_target_name for one target.
      const where: string[] = [];
      const values: unknown[] = [query.limit + 1];
      if (query.targetType !== undefined) {
        values.push(query.targetType);
        where.push(`target_type = $${values.length}`);
      }
      if (query.targetId !== undefined) {
        values.push(query.targetId);
        where.push(`target_id = $${values.length}`);
      }
      if (query.after) {
        values.push(query.after[0]);
        where.push(`name > $${values.length}`);
      }
      const rows = await db.all(
        `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name LIMIT $1`,
        values,
      );
      return pageOf(rows, query.limit, jobFromRow, (row) => [row.name as string] as const);
    },
    async updateJob(id, decide) {
      let name = '';
      return guardName(
        () => name,
        () =>
          db.transaction(async (tx) => {
            const current = await byId(tx, id, 'FOR UPDATE');
            if (!current) return null;
            const next = decide(current);
            if (!next) return current;
            name = next.name;
            const taken = await tx.get('SELECT id FROM jobs WHERE name = $1 AND id <> $2', [next.name, id]);
            if (taken) throw nameTaken(next.name, taken.id);
            await tx.run(UPDATE_JOB, jobValues({ ...next, id }));
            return byId(tx, id);
          }),
      );
    },
    async deleteJob(id) {
      // The runs go with it (ON DELETE CASCADE).
      return (await db.run('DELETE FROM jobs WHERE id = $1', [id])) > 0;
    },
    async claimJobRun({ run, task, version }) {
      return db.transaction(async (tx, changes) => {
        const job = await byId(tx, run.jobId, 'FOR SHARE');
        if (!job) return 'not_found';
        if (version !== undefined && (job.version !== version || !job.enabled)) return 'stale';
        const inserted = await tx.run(INSERT_RUN, [
          run.id,
          run.jobId,
          run.scheduledFor,
          run.trigger,
          run.status,
          run.missedTicks,
          run.taskId,
          run.error,
          run.createdAt,
        ]);
        if (inserted === 0) return 'taken';
        if (task) await writeNewTask(tx, task.task, task.submit, changes);
        return 'claimed';
      });
    },
    async listJobRuns(jobId, limit) {
      return (await runPage(jobId, { limit })).items;
    },
    async jobRunPage(jobId, query) {
      return runPage(jobId, query);
    },
    async lastScheduledTick(jobId) {
      const row = await db.get(
        `SELECT max(scheduled_for) AS tick FROM job_runs WHERE job_id = $1 AND trigger <> 'manual'`,
        [jobId],
      );
      return (row?.tick as string | null) ?? null;
    },
  };
}
