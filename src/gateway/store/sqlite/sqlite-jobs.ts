import { jobFromRow, nameTaken, runFromRow } from '../job-rows.ts';
import type { JobRecord, JobRunPageKey, JobsStore } from '../jobs-store.ts';
import { type PageRequest, pageOf } from '../store-page.ts';
import type { Params, SqliteDatabase } from './sqlite-database.ts';
import { writeNewTask } from './sqlite-tasks.ts';

const JOB_COLUMNS = `id, name, cron, time_zone, goal, mode, target_type, target_id, delivery, missed_runs, enabled,
  version, created_at, updated_at`;
const INSERT_JOB = `INSERT INTO jobs (${JOB_COLUMNS}) VALUES (:id, :name, :cron, :timeZone, :goal, :mode,
  :targetType, :targetId, :delivery, :missedRuns, :enabled, :version, :createdAt, :updatedAt)`;
const UPDATE_JOB = `UPDATE jobs SET name = :name, cron = :cron, time_zone = :timeZone, goal = :goal, mode = :mode,
  target_type = :targetType, target_id = :targetId, delivery = :delivery, missed_runs = :missedRuns,
  enabled = :enabled, version = :version, created_at = :createdAt, updated_at = :updatedAt WHERE id = :id`;
const INSERT_RUN = `INSERT INTO job_runs (id, job_id, scheduled_for, trigger, status, missed_ticks, task_id, error,
  created_at) VALUES (:id, :jobId, :scheduledFor, :trigger, :status, :missedTicks, :taskId, :error, :createdAt)
  ON CONFLICT (job_id, scheduled_for) DO NOTHING`;

const jobParams = (job: JobRecord): Params => ({
  ...job,
  delivery: JSON.stringify(job.delivery),
  enabled: job.enabled ? 1 : 0,
});

/** Scheduled jobs and their runs on the gateway's database (JobsStore). */
export function sqliteJobs(db: SqliteDatabase): JobsStore {
  const byId = (id: string): JobRecord | null => {
    const row = db.get('SELECT * FROM jobs WHERE id = :id', { id });
    return row ? jobFromRow(row) : null;
  };
  /** Newest tick first from the cursor on: a range of the (job_id, scheduled_for) unique index. */
  const runPage = (jobId: string, query: PageRequest<JobRunPageKey>) => {
    const after = query.after ? 'AND r.scheduled_for < :after' : '';
    const rows = db.all(
      `SELECT r.*, t.status AS task_status FROM job_runs r LEFT JOIN tasks t ON t.id = r.task_id
        WHERE r.job_id = :jobId ${after} ORDER BY r.scheduled_for DESC LIMIT :limit`,
      { jobId, limit: query.limit + 1, ...(query.after ? { after: query.after[0] } : {}) },
    );
    return pageOf(rows, query.limit, runFromRow, (row) => [row.scheduled_for as string] as const);
  };
  const assertNameFree = (name: string, ownId: string): void => {
    const row = db.get('SELECT id FROM jobs WHERE name = :name AND id != :ownId', { name, ownId });
    if (row) throw nameTaken(name, row.id);
  };
  return {
    async insertJob(job) {
      db.transaction(() => {
        assertNameFree(job.name, job.id);
        db.run(INSERT_JOB, jobParams(job));
      });
    },
    async getJob(id) {
      return byId(id);
    },
    async getJobByName(name) {
      const row = db.get('SELECT * FROM jobs WHERE name = :name', { name });
      return row ? jobFromRow(row) : null;
    },
    async listJobs(filter = {}) {
      const where: string[] = [];
      const params: Params = {};
      if (filter.targetType !== undefined) {
        where.push('target_type = :targetType');
        params.targetType = filter.targetType;
      }
      if (filter.targetId !== undefined) {
        where.push('target_id = :targetId');
        params.targetId = filter.targetId;
      }
      if (filter.enabledOnly) where.push('enabled = 1');
      const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, id`;
      return db.all(sql, params).map(jobFromRow);
    },
    async jobPage(query) {
      // A range of the name's unique index, or of jobs_by_target_name for one target.
      const where: string[] = [];
      const params: Params = { limit: query.limit + 1 };
      if (query.targetType !== undefined) {
        where.push('target_type = :targetType');
        params.targetType = query.targetType;
      }
      if (query.targetId !== undefined) {
        where.push('target_id = :targetId');
        params.targetId = query.targetId;
      }
      if (query.after) {
        where.push('name > :after');
        params.after = query.after[0];
      }
      const rows = db.all(
        `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name LIMIT :limit`,
        params,
      );
      return pageOf(rows, query.limit, jobFromRow, (row) => [row.name as string] as const);
    },
    async updateJob(id, decide) {
      return db.transaction(() => {
        const current = byId(id);
        if (!current) return null;
        const next = decide(current);
        if (!next) return current;
        assertNameFree(next.name, id);
        db.run(UPDATE_JOB, jobParams({ ...next, id }));
        return byId(id);
      });
    },
    async deleteJob(id) {
      return db.transaction(() => {
        db.run('DELETE FROM job_runs WHERE job_id = :id', { id });
        return db.run('DELETE FROM jobs WHERE id = :id', { id }) > 0;
      });
    },
    async claimJobRun({ run, task, version }) {
      return db.transaction((changes) => {
        const job = byId(run.jobId);
        if (!job) return 'not_found';
        if (version !== undefined && (job.version !== version || !job.enabled)) return 'stale';
        if (db.run(INSERT_RUN, { ...run }) === 0) return 'taken';
        if (task) writeNewTask(db, task.task, task.submit, changes);
        return 'claimed';
      });
    },
    async listJobRuns(jobId, limit) {
      return runPage(jobId, { limit }).items;
    },
    async jobRunPage(jobId, query) {
      return runPage(jobId, query);
    },
    async lastScheduledTick(jobId) {
      const row = db.get(
        `SELECT max(scheduled_for) AS tick FROM job_runs WHERE job_id = :jobId AND trigger != 'manual'`,
        { jobId },
      );
      return (row?.tick as string | null) ?? null;
    },
  };
}
