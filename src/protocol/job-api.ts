import { z } from 'zod';
import {
  CreateJobBodySchema,
  CronPatternSchema,
  JobRunViewSchema,
  JobViewSchema,
  TimeZoneSchema,
  UpdateJobBodySchema,
} from './job.ts';
import { NextCursorSchema, PageQuerySchema } from './pagination.ts';
import type { RestRoute } from './rest-route.ts';

/** A job's id, or its name (names are unique). */
export const JobParamsSchema = z.strictObject({ id: z.string().min(1).max(200) });

/** `GET /api/jobs`: a page of every job by name, or of those of one environment or one viber. */
export const JobListQuerySchema = PageQuerySchema.extend({
  environmentId: z.string().min(1).max(200).optional(),
  viberId: z.string().min(1).max(200).optional(),
});
export type JobListQuery = z.infer<typeof JobListQuerySchema>;

export const JobListResponseSchema = z.object({ jobs: z.array(JobViewSchema), nextCursor: NextCursorSchema });
export type JobListResponse = z.infer<typeof JobListResponseSchema>;

/** `GET /api/jobs/:id/runs`: a page of the job's runs, newest tick first. */
export const JobRunsQuerySchema = PageQuerySchema;
export type JobRunsQuery = z.infer<typeof JobRunsQuerySchema>;

export const JobRunListResponseSchema = z.object({
  runs: z.array(JobRunViewSchema),
  nextCursor: NextCursorSchema,
});
export type JobRunListResponse = z.infer<typeof JobRunListResponseSchema>;

export const JobDeletedResponseSchema = z.object({ id: z.string(), deletedAt: z.string() });
export type JobDeletedResponse = z.infer<typeof JobDeletedResponseSchema>;

/** The create form's check of a schedule: nothing is stored. */
export const JobSchedulePreviewBodySchema = z.strictObject({
  cron: CronPatternSchema,
  timeZone: TimeZoneSchema.default('UTC'),
});
export const JobSchedulePreviewSchema = z.object({
  cron: z.string(),
  /** The zone as the gateway names it (`europe/berlin` is `Europe/Berlin`). */
  timeZone: z.string(),
  nextRuns: z.array(z.string()),
});
export type JobSchedulePreview = z.infer<typeof JobSchedulePreviewSchema>;

/** Scheduled jobs (docs/jobs.md): CRUD, pause and resume (update), run history, run now. */
export const JOB_ROUTES = {
  'jobs.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/jobs',
    scope: 'tasks.read',
    summary: 'A page of jobs by name, with their next runs and last run; filtered by environment or viber.',
    query: JobListQuerySchema,
    responses: { 200: JobListResponseSchema },
    idempotencyKey: false,
  },
  'jobs.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/jobs',
    scope: 'tasks.write',
    summary: 'Creates a job; an invalid cron pattern or time zone is a 400 naming the field.',
    body: CreateJobBodySchema,
    responses: { 201: JobViewSchema },
    idempotencyKey: true,
  },
  'jobs.preview': {
    kind: 'json',
    method: 'POST',
    path: '/api/jobs/preview',
    scope: 'tasks.read',
    summary: 'Checks a cron pattern in a time zone and answers its next three runs; stores nothing.',
    body: JobSchedulePreviewBodySchema,
    responses: { 200: JobSchedulePreviewSchema },
    idempotencyKey: false,
  },
  'jobs.get': {
    kind: 'json',
    method: 'GET',
    path: '/api/jobs/:id',
    scope: 'tasks.read',
    summary: 'A job with its next runs and last run.',
    params: JobParamsSchema,
    responses: { 200: JobViewSchema },
    idempotencyKey: false,
  },
  'jobs.update': {
    kind: 'json',
    method: 'PUT',
    path: '/api/jobs/:id',
    scope: 'tasks.write',
    summary: 'Replaces the fields given; `enabled` false pauses the job, true resumes it.',
    params: JobParamsSchema,
    body: UpdateJobBodySchema,
    responses: { 200: JobViewSchema },
    idempotencyKey: false,
  },
  'jobs.delete': {
    kind: 'json',
    method: 'DELETE',
    path: '/api/jobs/:id',
    scope: 'tasks.write',
    summary: 'Deletes a job and its run history (its tasks stay).',
    params: JobParamsSchema,
    responses: { 200: JobDeletedResponseSchema },
    idempotencyKey: false,
  },
  'jobs.runs': {
    kind: 'json',
    method: 'GET',
    path: '/api/jobs/:id/runs',
    scope: 'tasks.read',
    summary: "A page of a job's runs, newest first, each with its task and the task's status.",
    params: JobParamsSchema,
    query: JobRunsQuerySchema,
    responses: { 200: JobRunListResponseSchema },
    idempotencyKey: false,
  },
  'jobs.run': {
    kind: 'json',
    method: 'POST',
    path: '/api/jobs/:id/run',
    scope: 'tasks.write',
    summary: 'Runs the job now (paused or not), outside its schedule.',
    params: JobParamsSchema,
    responses: { 201: JobRunViewSchema },
    idempotencyKey: true,
  },
} as const satisfies Record<string, RestRoute>;
