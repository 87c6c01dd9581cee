import { OpenViberError } from '../../core/errors.ts';
import type { JobDelivery, TaskStatus } from '../../protocol/index.ts';
import type { JobRecord, JobRunRecord, JobRunRow } from './jobs-store.ts';

// Rows of the jobs tables as both backends read them (the same columns; PostgreSQL's booleans and
// SQLite's 0/1 both read as booleans).

type Row = Record<string, unknown>;

export function jobFromRow(row: Row): JobRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    cron: row.cron as string,
    timeZone: row.time_zone as string,
    goal: row.goal as string,
    mode: row.mode as JobRecord['mode'],
    targetType: row.target_type as JobRecord['targetType'],
    targetId: row.target_id as string,
    delivery: JSON.parse(row.delivery as string) as JobDelivery,
    missedRuns: row.missed_runs as JobRecord['missedRuns'],
    enabled: Boolean(row.enabled),
    version: Number(row.version),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function runFromRow(row: Row): JobRunRow {
  return {
    id: row.id as string,
    jobId: row.job_id as string,
    scheduledFor: row.scheduled_for as string,
    trigger: row.trigger as JobRunRecord['trigger'],
    status: row.status as JobRunRecord['status'],
    missedTicks: row.missed_ticks === null ? null : Number(row.missed_ticks),
    taskId: (row.task_id as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    createdAt: row.created_at as string,
    taskStatus: (row.task_status as TaskStatus | null) ?? null,
  };
}

/** A job name another job has. */
export const nameTaken = (name: string, id?: unknown) =>
  new OpenViberError('conflict', `a job named "${name}" already exists${id ? ` (${id})` : ''}`, 409);
