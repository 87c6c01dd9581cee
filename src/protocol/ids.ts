import { z } from 'zod';

/**
 * Prefixed, sortable ids: a log line tells you what an id is (`task_`, `viber_`, `msg_`).
 * Shape: prefix, `_`, the creation time in base36, `-`, 10 random hex digits.
 */
export const ID_PREFIXES = {
  task: 'task',
  viber: 'viber',
  message: 'msg',
  approval: 'appr',
  request: 'req',
  command: 'cmd',
  environment: 'env',
  binding: 'bind',
  job: 'job',
  jobRun: 'jrun',
  channel: 'chan',
  delivery: 'dlv',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const idPattern = /^[a-z]+_[a-z0-9][a-z0-9-]{2,80}$/;

/** Any OpenViber id: lower-case prefix, underscore, then letters, digits and dashes. */
export const IdSchema = z
  .string()
  .regex(idPattern, 'must look like prefix_abc123 (lower-case letters, digits, dashes)');
export const TaskIdSchema = IdSchema.refine((id) => id.startsWith('task_'), 'task ids start with task_');
export const ViberIdSchema = IdSchema.refine((id) => id.startsWith('viber_'), 'viber ids start with viber_');
