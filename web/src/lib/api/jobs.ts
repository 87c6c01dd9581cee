import type { RouteInput } from '#lib/client.ts';
import type {
  JobDeletedResponse,
  JobListResponse,
  JobRunListResponse,
  JobRunView,
  JobSchedulePreview,
  JobView,
} from '#lib/protocol.ts';
import { gateway, newIdempotencyKey } from './gateway.ts';

/** Scheduled jobs (`jobs.*` in src/protocol/job-api.ts; docs/jobs.md). */

export type CreateJobInput = RouteInput<'jobs.create'>['body'];
export type UpdateJobInput = RouteInput<'jobs.update'>['body'];
export type JobListQuery = NonNullable<RouteInput<'jobs.list'>['query']>;
export type JobRunsQuery = NonNullable<RouteInput<'jobs.runs'>['query']>;

/** A page of jobs by name (`nextCursor` null on the last one). */
export function listJobs(query: JobListQuery = {}): Promise<JobListResponse> {
  return gateway.call('jobs.list', { query });
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

/** A page of a job's runs, newest tick first. */
export function listJobRuns(id: string, query: JobRunsQuery = {}): Promise<JobRunListResponse> {
  return gateway.call('jobs.runs', { params: { id }, query });
}

export function runJobNow(id: string): Promise<JobRunView> {
  return gateway.call('jobs.run', { params: { id }, idempotencyKey: newIdempotencyKey() });
}

/** The form's check of a schedule: the next three runs, or a 400 naming the field. */
export function previewSchedule(cron: string, timeZone: string): Promise<JobSchedulePreview> {
  return gateway.call('jobs.preview', { body: { cron, timeZone } });
}
