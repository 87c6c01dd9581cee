import type { RouteInput } from '#lib/client.ts';
import type { JobDeletedResponse, JobRunView, JobSchedulePreview, JobView } from '#lib/protocol.ts';
import { gateway, newIdempotencyKey } from './gateway.ts';

/** Scheduled jobs (`jobs.*` in src/protocol/job-api.ts; docs/jobs.md). */

export type CreateJobInput = RouteInput<'jobs.create'>['body'];
export type UpdateJobInput = RouteInput<'jobs.update'>['body'];
export type JobListQuery = NonNullable<RouteInput<'jobs.list'>['query']>;

export async function listJobs(query: JobListQuery = {}): Promise<JobView[]> {
  return (await gateway.call('jobs.list', { query })).jobs;
}

export function getJob(id: string): Promise<JobView> {
  return gateway.call('jobs.get', { params: { id } });
}

export function createJob(body: CreateJobInput): Promise<JobView> {
  return gateway.call('jobs.create', { body, idempotencyKey: newIdempotencyKey() });
}

/** `enabled: false` pauses the job, `true` resumes it. */
export function updateJob(id: string, body: UpdateJobInput): Promise<JobView> {
  return gateway.call('jobs.update', { params: { id }, body });
}

export function deleteJob(id: string): Promise<JobDeletedResponse> {
  return gateway.call('jobs.delete', { params: { id } });
}

export async function listJobRuns(id: string, limit = 50): Promise<JobRunView[]> {
  return (await gateway.call('jobs.runs', { params: { id }, query: { limit } })).runs;
}

export function runJobNow(id: string): Promise<JobRunView> {
  return gateway.call('jobs.run', { params: { id }, idempotencyKey: newIdempotencyKey() });
}

/** The form's check of a schedule: the next three runs, or a 400 naming the field. */
export function previewSchedule(cron: string, timeZone: string): Promise<JobSchedulePreview> {
  return gateway.call('jobs.preview', { body: { cron, timeZone } });
}
