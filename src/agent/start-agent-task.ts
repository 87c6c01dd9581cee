import type { StartAgentTask } from './agent-task.ts';
import { createAgentTask } from './create-agent-task.ts';
import { createLanguageModel } from './providers.ts';
import { BUNDLED_SKILLS_DIR } from './skills/discover-skills.ts';
import { createToolSet, describeToolCall, TOOL_CATALOG } from './tools/index.ts';

/**
 * Starts a task with the configured model provider, the built-in tools and the skills (the
 * home's, the project's and the bundled ones). Returns at once;
 * `done` settles when the task ends (immediately, with what to set, when no model is configured).
 */
export const startAgentTask: StartAgentTask = (request, callbacks, environment) =>
  createAgentTask(request, callbacks, environment, {
    createModel: createLanguageModel,
    createTools: (context) => createToolSet(context),
    catalog: TOOL_CATALOG,
    describeToolCall,
    bundledSkillsDir: BUNDLED_SKILLS_DIR,
  });
