import type { AgentEnvironment, StartAgentTask } from './agent-task.ts';
import { createAgentTask } from './create-agent-task.ts';
import { createLanguageModel } from './providers.ts';
import { BUNDLED_SKILLS_DIR } from './skills/discover-skills.ts';
import {
  createDesktopToolSet,
  DESKTOP_TOOL_CATALOG,
  type DesktopDisplay,
  describeDesktopCall,
} from './tools/desktop/index.ts';
import { createToolSet, describeToolCall, TOOL_CATALOG } from './tools/index.ts';

export interface AgentTaskOptions {
  /** `viber start --desktop` with a display that answered: the desktop tools join every task. */
  desktop?: DesktopDisplay;
}

/**
 * Starts tasks with the configured model provider, the built-in tools (and the desktop tools when
 * `desktop` is given) and the skills (the home's, the project's and the bundled ones). Returns at
 * once; `done` settles when the task ends (immediately, with what to set, when no model is configured).
 */
export function createStartAgentTask(options: AgentTaskOptions = {}): StartAgentTask {
  const { desktop } = options;
  if (!desktop) {
    return (request, callbacks, environment) =>
      createAgentTask(request, callbacks, environment, {
        createModel: createLanguageModel,
        createTools: (context) => createToolSet(context),
        catalog: TOOL_CATALOG,
        describeToolCall,
        bundledSkillsDir: BUNDLED_SKILLS_DIR,
      });
  }
  return (request, callbacks, environment) =>
    createAgentTask(request, callbacks, withDisplay(environment, desktop), {
      createModel: createLanguageModel,
      createTools: (context) => ({ ...createToolSet(context), ...createDesktopToolSet(context, desktop) }),
      catalog: { ...TOOL_CATALOG, ...DESKTOP_TOOL_CATALOG },
      describeToolCall: (name, input) => describeDesktopCall(name, input) ?? describeToolCall(name, input),
      bundledSkillsDir: BUNDLED_SKILLS_DIR,
    });
}

/** Without the desktop: the built-in tools only. */
export const startAgentTask: StartAgentTask = createStartAgentTask();

/** Programs the agent starts with the shell (an editor, a browser) open on the desktop's display. */
function withDisplay(environment: AgentEnvironment, desktop: DesktopDisplay): AgentEnvironment {
  const names = ['DISPLAY', 'XAUTHORITY'].filter((name) => desktop.env[name] !== undefined);
  const passed = environment.config.agent?.env ?? [];
  return {
    ...environment,
    env: { ...environment.env, ...Object.fromEntries(names.map((name) => [name, desktop.env[name]])) },
    config: {
      ...environment.config,
      agent: { ...environment.config.agent, env: [...passed, ...names] },
    },
  };
}
