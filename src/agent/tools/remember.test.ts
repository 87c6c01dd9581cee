import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { createToolSet } from './index.ts';
import type { RememberResult } from './remember.ts';

describe('remember', () => {
  const t = useToolContext();

  it('appends rules and habits as Markdown bullets, once each', async () => {
    const tools = createToolSet(t.context);
    const rules = join(t.context.memoryDir, 'rules.md');
    expect(
      await callTool<RememberResult>(tools, 'remember', { kind: 'rule', text: 'Never push to main.' }),
    ).toEqual({
      path: rules,
      added: true,
    });
    await callTool(tools, 'remember', { kind: 'rule', text: '- Ask before\n deleting   files' });
    await callTool(tools, 'remember', { kind: 'habit', text: 'Uses pnpm, not npm' });
    const again = await callTool<RememberResult>(tools, 'remember', {
      kind: 'rule',
      text: 'never push to main.',
    });
    expect(again).toMatchObject({ added: false, note: 'This rule is already in memory.' });
    expect(await readFile(rules, 'utf8')).toBe(
      '# Rules\n\n- Never push to main.\n- Ask before deleting files\n',
    );
    expect(await readFile(join(t.context.memoryDir, 'habits.md'), 'utf8')).toBe(
      '# Habits\n\n- Uses pnpm, not npm\n',
    );
    expect(t.evidence.filter((item) => item.kind === 'file')).toHaveLength(3);
  });

  it('refuses empty, overlong and unknown kinds', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'remember', { kind: 'rule', text: ' - ' })).error).toMatch(
      /text: text must not be empty/,
    );
    expect((await callTool(tools, 'remember', { kind: 'rule', text: 'x'.repeat(501) })).error).toMatch(
      /text: /,
    );
    expect((await callTool(tools, 'remember', { kind: 'fact', text: 'x' })).error).toMatch(
      /^Invalid input for remember: kind: /,
    );
  });
});
