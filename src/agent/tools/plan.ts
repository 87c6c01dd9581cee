import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import {
  type Plan,
  PlanSchema,
  type PlanStep,
  PlanStepSchema,
  PlanStepStatusSchema,
} from '../../protocol/index.ts';
import { defineTool, type ToolRun } from './define-tool.ts';
import { ToolError } from './tool-error.ts';

const DESCRIPTION = `Create or update the task's plan: a short list of steps, each with a status (pending, in_progress, done, blocked). Operators watch it live.
- Make a plan at the start of any task with more than two steps: pass steps (the whole list; it replaces the previous plan).
- As you work, pass updates to change the status (or title) of steps by id; keep exactly one step in_progress.
- Mark a step done only when you have verified it (a command's output, a file you read back).`;

const PlanUpdateSchema = z.object({
  id: z.string().trim().min(1).describe('Id of an existing step'),
  status: PlanStepStatusSchema.optional(),
  title: z.string().trim().min(1).max(300).optional(),
});

export const PlanInputSchema = z
  .object({
    steps: z
      .array(PlanStepSchema)
      .min(1)
      .max(100)
      .optional()
      .describe('The whole plan (replaces the current one)'),
    updates: z
      .array(PlanUpdateSchema)
      .min(1)
      .max(100)
      .optional()
      .describe('Changes to existing steps, by id'),
  })
  .refine((input) => (input.steps === undefined) !== (input.updates === undefined), {
    message: 'pass exactly one of steps (a new plan) or updates (changes to the current plan)',
    path: ['steps'],
  })
  .refine(
    (input) => !input.steps || new Set(input.steps.map((step) => step.id)).size === input.steps.length,
    {
      message: 'step ids must be unique',
      path: ['steps'],
    },
  );
export type PlanInput = z.infer<typeof PlanInputSchema>;

export interface PlanResult {
  steps: PlanStep[];
  summary: string;
}

export const planTool = defineTool<typeof PlanInputSchema, PlanResult>({
  name: 'plan',
  kind: 'meta',
  summary: 'Create or update the task plan (persisted, streamed as data-plan)',
  description: DESCRIPTION,
  inputSchema: PlanInputSchema,
  describe: (input) =>
    Array.isArray(input.steps)
      ? `plan ${input.steps.length} steps`
      : `plan update ${Array.isArray(input.updates) ? input.updates.length : 0} steps`,
  async execute(input, run) {
    const steps = input.steps ?? applyUpdates(await loadPlan(run), input.updates ?? []);
    const plan: Plan = { taskId: run.context.taskId, updatedAt: new Date().toISOString(), steps };
    await savePlan(run.context.planPath, plan);
    run.context.writeData({ type: 'data-plan', id: 'plan', data: plan });
    return { steps, summary: summarize(steps) };
  },
});

async function loadPlan(run: ToolRun): Promise<PlanStep[]> {
  let text: string;
  try {
    text = await readFile(run.context.planPath, 'utf8');
  } catch {
    throw new ToolError('not_found', 'there is no plan yet; create one with steps before sending updates');
  }
  const parsed = PlanSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new ToolError('failed', 'the saved plan is unreadable; create a new one with steps');
  return parsed.data.steps;
}

function applyUpdates(steps: PlanStep[], updates: z.infer<typeof PlanUpdateSchema>[]): PlanStep[] {
  const next = steps.map((step) => ({ ...step }));
  for (const update of updates) {
    const step = next.find((candidate) => candidate.id === update.id);
    if (!step) {
      throw new ToolError(
        'not_found',
        `no step with id "${update.id}" in the plan (ids: ${next.map((candidate) => candidate.id).join(', ')})`,
      );
    }
    if (update.status) step.status = update.status;
    if (update.title) step.title = update.title;
  }
  return next;
}

/** Written to a temporary file and renamed, so a watcher never reads half a plan. */
async function savePlan(path: string, plan: Plan): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(plan, null, 2)}\n`);
  await rename(temporary, path);
}

function summarize(steps: PlanStep[]): string {
  const count = (status: PlanStep['status']) => steps.filter((step) => step.status === status).length;
  return `${count('done')}/${steps.length} done, ${count('in_progress')} in progress, ${count('blocked')} blocked`;
}
