import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { LIMITS } from '../../protocol/index.ts';
import { createToolSet } from './index.ts';

// Item 5 of the hardening issue: a model's tool call arguments can nest without bound; the tool
// wrapper refuses them by the limit before anything recursive (zod, logging) touches them.

/** `{"path":{"path":...{}}}` nested `levels` deep. */
const nested = (levels: number): unknown =>
  JSON.parse(`${'{"path":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`);

describe('defineTool input nesting bound', () => {
  const t = useToolContext();

  it('answers a call nested deeper than the limit with an error naming it', async () => {
    const tools = createToolSet(t.context);
    for (const levels of [LIMITS.maxJsonDepth + 1, 1_500, 100_000]) {
      expect(await callTool(tools, 'list_directory', nested(levels))).toEqual({
        error: `Invalid input for list_directory: (input) nests deeper than ${LIMITS.maxJsonDepth} levels, the limit`,
      });
    }
    expect(t.evidence.filter((item) => item.kind === 'tool-call' && !item.ok)).toHaveLength(3);
  });

  it('judges an input at the limit by its schema as before', async () => {
    const result = await callTool(createToolSet(t.context), 'list_directory', nested(LIMITS.maxJsonDepth));
    expect(result.error).toMatch(/^Invalid input for list_directory: path: /);
  });
});
