import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Remember something for future tasks on this machine. It is added to the agent's memory and loaded into every later task.
- kind "rule": an instruction that must be followed (e.g. "Never push to main without asking").
- kind "habit": a preference or useful fact about how the operator works (e.g. "Uses pnpm, not npm").
- One short sentence; remember only what the operator asked for or what is clearly durable.`;

export const RememberInputSchema = z.object({
  kind: z.enum(['rule', 'habit']).describe('rule: must be followed; habit: a preference or fact'),
  text: z
    .string()
    .transform((text) =>
      text
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/^[-*](\s+|$)/, '')
        .trim(),
    )
    .pipe(z.string().min(1, 'text must not be empty').max(TOOL_LIMITS.maxMemoryEntryChars))
    .describe('The rule or habit, one sentence'),
});

export interface RememberResult {
  path: string;
  added: boolean;
  note?: string;
}

/** The memory files, relative to the memory folder; the agent's prompt loader reads the same names. */
export const MEMORY_FILES = { rule: 'rules.md', habit: 'habits.md' } as const;
const HEADERS = { rule: '# Rules\n\n', habit: '# Habits\n\n' } as const;

export const rememberTool = defineTool<typeof RememberInputSchema, RememberResult>({
  name: 'remember',
  kind: 'write',
  summary: 'Add a rule or habit to memory/ (loaded into later tasks)',
  description: DESCRIPTION,
  inputSchema: RememberInputSchema,
  describe: (input) => `remember ${inputText(input, 'kind', 'entry')}: ${inputText(input, 'text')}`,
  async execute(input, run) {
    const path = join(run.context.memoryDir, MEMORY_FILES[input.kind]);
    await mkdir(run.context.memoryDir, { recursive: true });
    // 'wx' creates the header only once even when two tasks remember at the same moment.
    await writeFile(path, HEADERS[input.kind], { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const existing = await readFile(path, 'utf8');
    const bullets = existing.split('\n').map((line) => normalize(line.replace(/^[-*]\s+/, '')));
    if (bullets.includes(normalize(input.text))) {
      return { path, added: false, note: `This ${input.kind} is already in memory.` };
    }
    const separator = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
    await appendFile(path, `${separator}- ${input.text}\n`);
    run.recordFile(path, await readFile(path));
    return { path, added: true };
  },
});

function normalize(text: string): string {
  return text.trim().toLowerCase();
}
