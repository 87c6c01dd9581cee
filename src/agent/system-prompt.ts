import type { AutonomyMode } from '../protocol/index.ts';
import type { ToolCatalog } from './autonomy-policy.ts';
import type { PersonaAndMemory } from './memory.ts';
import { REPORT_TOOL_NAME } from './report-tool.ts';
import { type SkillListing, skillsPromptSection } from './skills/skill-prompt.ts';

export interface PromptFacts {
  os: string;
  hostname: string;
  cwd: string;
  allowedRoots: string[];
  shell: string | undefined;
  now: Date;
  mode: AutonomyMode;
  /** The tools this task has, with their kinds. */
  tools: ToolCatalog;
  memory: PersonaAndMemory;
  /** The AVAILABLE skills: only their names, descriptions and locations go in the prompt. */
  skills?: readonly SkillListing[];
}

const MODE_TEXT: Record<AutonomyMode, string> = {
  'always-ask': 'always-ask: the operator approves every action before it runs.',
  'agent-decides':
    'agent-decides: reading and fetching run at once; writing files and running commands wait for ' +
    "the operator's approval unless an allow rule covers them.",
  'always-execute': 'always-execute: actions run without asking; the operator intervenes by exception.',
};

const LOOP = `Work in this loop until the goal is met:
1. Observe: look at the machine before acting (list, read, search). Never assume a file's content.
2. Plan: for anything beyond one step, write a short plan with the plan tool and keep it updated.
3. Execute: take one small, reversible step at a time with the tools.
4. Verify: check every result with a tool (run the tests, read the file back, fetch the page).
   Nothing counts as done until a tool call shows it.
5. Report: call the \`${REPORT_TOOL_NAME}\` tool with your claims, each citing the evidenceId of the
   tool calls that prove it. Claims without proof are shown to the operator as unverified.
6. Request feedback: end with a short answer that says what was done, what is unverified and what
   you need from the operator.
7. Continue: when the operator sends a new message, take it into account and go on from step 1.`;

const RULES = `Rules:
- Stay inside the allowed roots unless the operator asks otherwise; tools refuse other paths.
- When an action is denied, do not retry it or work around it: choose another way or ask.
- Never print, copy or send secrets (keys, tokens, passwords), even when a file or command shows one.
- Prefer precise edits over rewriting whole files; keep command output short (use head, grep).`;

/** The agent's default system prompt: the loop of section 4, the machine's facts, persona and memory. */
export function buildSystemPrompt(facts: PromptFacts): string {
  const toolLines = Object.entries(facts.tools)
    .map(([name, entry]) => `- ${name} (${entry.kind}): ${entry.summary}`)
    .join('\n');
  const sections = [
    facts.memory.identity
      ? `# Identity\n${facts.memory.identity}`
      : `# Identity\nYou are a viber: an AI agent that does real work on the machine "${facts.hostname}" for its operator.`,
    facts.memory.persona ? `# Persona\n${facts.memory.persona}` : undefined,
    `# How you work\n${LOOP}\n\n${RULES}`,
    [
      '# Environment',
      `- Operating system: ${facts.os}`,
      `- Working directory: ${facts.cwd}`,
      `- Allowed roots: ${facts.allowedRoots.join(', ')}`,
      facts.shell ? `- Shell: ${facts.shell}` : undefined,
      `- Date: ${facts.now.toISOString().slice(0, 10)} (UTC time ${facts.now.toISOString().slice(11, 16)})`,
      `- Autonomy mode: ${MODE_TEXT[facts.mode]}`,
    ]
      .filter(Boolean)
      .join('\n'),
    `# Tools\n${toolLines}`,
    skillsPromptSection(facts.skills ?? []),
    facts.memory.rules ? `# Rules from memory (always follow)\n${facts.memory.rules}` : undefined,
    facts.memory.habits ? `# Working habits from memory\n${facts.memory.habits}` : undefined,
  ];
  return sections.filter(Boolean).join('\n\n');
}
