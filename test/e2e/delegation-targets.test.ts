import { describe, expect, it } from 'vitest';
import type { EnvironmentView } from '../../src/protocol/index.ts';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { userText, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ScriptTurn } from '../support/openai-script.ts';
import { textOf } from '../support/openai-script.ts';
import { parseExposition, sampleValue } from '../support/prometheus-text.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 18, item 3: where a delegated child runs (docs/delegation.md, "Target"): by capability, by
// environment (read from its bindings), the parent's own viber first when it qualifies, and the
// precise refusal, as the delegate tool's error, when no viber fits. Each answer is counted in
// `openviber_delegations_total` (docs/operations.md).

useE2eCleanup();

const METRICS_TOKEN = 'metrics-token-delegation-targets';

/** The parent's delegate calls, one per step, in order; then its answer. */
const CALLS: Array<Record<string, unknown>> = [
  { goal: 'CHILD-BROWSER: needs a browser', capability: 'browser' },
  { goal: 'CHILD-ENV: runs in env-b', environmentId: 'env-b' },
  { goal: 'CHILD-SHELL: any viber with a shell', capability: 'shell' },
  { goal: 'never runs', capability: 'gpu' },
  { goal: 'never runs', environmentId: 'env-nowhere' },
  { goal: 'never runs', environmentId: 'env-missing' },
  { goal: 'never runs', viber: 'viber-plain', environmentId: 'env-b' },
  { goal: 'never runs', viber: 'viber-nobody' },
  { goal: 'never runs', viber: 'viber-asleep' },
];

async function scrape(url: string) {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

describe('delegation targets', () => {
  it('places children by capability and environment, and tells the model precisely when none fits', async () => {
    let envBId = '';
    const model = await startModelServer({
      script: ({ body }): ScriptTurn => {
        if (userText(body).includes('CHILD-')) return { type: 'text', text: 'child done' };
        const step = body.messages.filter((message) => message.role === 'tool').length;
        // env-b by its id here (by its name below): either names it.
        const call = step === 1 ? { ...CALLS[1], environmentId: envBId } : CALLS[step];
        if (!call) return { type: 'text', text: 'all placed' };
        return { type: 'tool-calls', calls: [{ id: `call_target_${step}`, name: 'delegate', input: call }] };
      },
    });
    const gateway = await spawnGateway({ env: { OPENVIBER_METRICS_TOKEN: METRICS_TOKEN } });
    // No Chromium on A, one on B (any executable passes the check; the browser is never launched).
    const a = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'viber-plain',
      env: { OPENVIBER_CHROMIUM: '/nonexistent/chromium' },
    });
    const b = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'viber-browser',
      env: { OPENVIBER_CHROMIUM: '/bin/sh' },
    });
    const asleep = await gateway.rest.registerViber('viber-asleep');
    expect((await gateway.rest.getViber(a.viberId))?.info?.capabilities).not.toContain('browser');
    expect((await gateway.rest.getViber(b.viberId))?.info?.capabilities).toContain('browser');

    // env-b is mapped to B only, and ready there; env-nowhere is mapped to no viber.
    const api = <T>(method: string, path: string, body?: unknown) =>
      gateway.rest.request<T>(method, path, body === undefined ? {} : { body });
    const envB = (await api<EnvironmentView>('POST', '/api/environments', { name: 'env-b', type: 'manual' }))
      .body;
    envBId = envB.id;
    await api('POST', '/api/environments', { name: 'env-nowhere', type: 'manual' });
    await api('POST', `/api/environments/${envB.id}/bindings`, { viberId: b.viberId });
    await waitFor(
      async () =>
        (await api<EnvironmentView>('GET', `/api/environments/${envB.id}`)).body.bindings[0]?.status ===
        'ready',
      { timeoutMs: 60_000, description: 'env-b to be ready on B' },
    );

    const before = await scrape(gateway.url);
    expect(sampleValue(before, 'openviber_delegations_total', { outcome: 'started' })).toBe(0);
    expect(
      sampleValue(before, 'openviber_delegations_total', { outcome: 'refused', reason: 'no_viber' }),
    ).toBe(0);

    const parent = await gateway.rest.createTask({
      goal: 'PARENT-TARGETS: place children',
      viberId: a.viberId,
      options: { mode: 'always-execute' },
    });
    const done = await waitForTaskStatus(gateway.rest, parent.id, 'completed', 120_000);
    expect(done.task.result?.text).toBe('all placed');

    // The children landed where they fit: the browser on B, the environment on B (in it), and a
    // capability both have on the parent's own viber.
    const placed = Object.fromEntries(
      (done.children ?? []).map((child) => [child.goal.split(':')[0], child]),
    );
    expect(Object.keys(placed).sort()).toEqual(['CHILD-BROWSER', 'CHILD-ENV', 'CHILD-SHELL']);
    expect(placed['CHILD-BROWSER']).toMatchObject({ viberId: b.viberId, status: 'completed' });
    expect(placed['CHILD-ENV']).toMatchObject({ viberId: b.viberId, status: 'completed' });
    expect((await gateway.rest.getTask(placed['CHILD-ENV']!.id)).task.options.environmentId).toBe(envB.id);
    expect(placed['CHILD-SHELL']).toMatchObject({ viberId: a.viberId, status: 'completed' });

    // Each refusal reached the model as the delegate call's error, naming what was asked.
    const last = model.requests.filter((r) => userText(r.body).includes('PARENT-TARGETS')).at(-1)!;
    const results: Record<string, string | undefined> = Object.fromEntries(
      last.body.messages
        .filter((message) => message.role === 'tool')
        .map((message) => [
          message.tool_call_id,
          (JSON.parse(textOf(message.content)) as { error?: string }).error,
        ]),
    );
    expect(results.call_target_3).toContain(
      'delegation refused (no_viber): no online viber with the capability "gpu"',
    );
    expect(results.call_target_4).toContain(
      'delegation refused (no_viber): environment env-nowhere is not mapped to any viber: map it first',
    );
    expect(results.call_target_5).toContain(
      'delegation refused (not_found): environment env-missing not found',
    );
    expect(results.call_target_6).toContain(
      `delegation refused (conflict): viber viber-plain (${a.viberId}) is not one where environment "env-b" is ready`,
    );
    expect(results.call_target_7).toContain(
      'delegation refused (not_found): no viber is named or has the id "viber-nobody"',
    );
    expect(results.call_target_8).toContain(
      `delegation refused (viber_offline): viber viber-asleep (${asleep.id}) is offline`,
    );

    // Counted: three children started, six refusals under their reasons, nothing else.
    const after = await scrape(gateway.url);
    const count = (labels: Record<string, string>) =>
      sampleValue(after, 'openviber_delegations_total', labels);
    expect(count({ outcome: 'started' })).toBe(3);
    expect(count({ outcome: 'refused', reason: 'no_viber' })).toBe(2);
    expect(count({ outcome: 'refused', reason: 'not_found' })).toBe(2);
    expect(count({ outcome: 'refused', reason: 'mismatch' })).toBe(1);
    expect(count({ outcome: 'refused', reason: 'viber_offline' })).toBe(1);
    for (const reason of ['parent', 'depth', 'tree_size', 'other']) {
      expect(count({ outcome: 'refused', reason })).toBe(0);
    }
  });
  it('waits for the operator in agent-decides before a child starts, like a shell command', async () => {
    const model = await startModelServer({
      script: ({ body }): ScriptTurn => {
        if (userText(body).includes('CHILD-APPROVED')) return { type: 'text', text: 'child ran' };
        if (body.messages.some((message) => message.role === 'tool'))
          return { type: 'text', text: 'parent done' };
        return {
          type: 'tool-calls',
          calls: [{ id: 'call_ask', name: 'delegate', input: { goal: 'CHILD-APPROVED: after a yes' } }],
        };
      },
    });
    const gateway = await spawnGateway();
    const a = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'viber-careful' });
    const parent = await gateway.rest.createTask({
      goal: 'PARENT-ASKS: delegate after approval',
      viberId: a.viberId,
      options: { mode: 'agent-decides' },
    });
    const stream = await gateway.follow(parent.id);
    const approvalId = await waitFor(
      () => stream.chunks.find((chunk) => chunk.type === 'tool-approval-request')?.approvalId,
      { timeoutMs: 60_000, description: 'the approval request' },
    );
    // Nothing started while it waits.
    expect((await gateway.rest.getTask(parent.id)).children).toEqual([]);
    const answer = await gateway.rest.request('POST', `/api/tasks/${parent.id}/approvals/${approvalId}`, {
      body: { approved: true },
    });
    expect(answer.status).toBe(202);
    const done = await waitForTaskStatus(gateway.rest, parent.id, 'completed', 60_000);
    expect(done.children).toHaveLength(1);
    expect(done.children![0]).toMatchObject({
      viberId: a.viberId,
      status: 'completed',
      mode: 'agent-decides',
    });
  });
});
