import { describe, expect, it } from 'vitest';
import type { GatewayMessage } from '../../src/protocol/index.ts';
import { onCleanup, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { FakeDaemon } from '../support/fake-daemon.ts';
import { TerminalViewer } from '../support/terminal-viewer.ts';
import { type GatewayHandle, spawnGateway } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Hardening issue, item 6, over a real gateway process: a viber answering a terminal request that
// was sent to another viber is refused, and the real viber's answer reaches the viewer.

useE2eCleanup();

type ListRequest = Extract<GatewayMessage, { type: 'terminal:list' }>;

async function connectedViber(gateway: GatewayHandle, name: string): Promise<FakeDaemon> {
  const registered = await gateway.rest.registerViber(name);
  const daemon = await FakeDaemon.connect(gateway.wsUrl, {
    viberId: registered.id,
    token: registered.token,
    name,
  });
  onCleanup(() => daemon.close());
  return daemon;
}

/** The n-th (0-based) terminal:list the fake viber received. */
function nthList(daemon: FakeDaemon, index: number): Promise<ListRequest> {
  return waitFor(() => daemon.ofType('terminal:list')[index], { description: `terminal:list #${index + 1}` });
}

describe('terminal answers from the wrong viber', () => {
  it("refuses viber A's forged answer to a request for viber B and delivers B's", async () => {
    const gateway = await spawnGateway();
    const a = await connectedViber(gateway, 'viber-a');
    const b = await connectedViber(gateway, 'viber-b');
    const viewer = await TerminalViewer.connect(gateway.url, gateway.operatorToken);
    onCleanup(() => viewer.close());

    // A is asked for its own sessions first, and so sees what the gateway's request ids look like.
    const own = viewer.request({ type: 'terminal:list', viberId: a.viberId });
    const toA = await nthList(a, 0);
    a.send({ type: 'terminal:list-result', requestId: toA.requestId, sessions: [] });
    expect((await own).viberId).toBe(a.viberId);

    const forB = viewer.request({ type: 'terminal:list', viberId: b.viberId });
    const toB = await nthList(b, 0);
    // Unguessable: 128 random bits each, nothing shared with the id A saw but the prefix.
    for (const id of [toA.requestId, toB.requestId]) expect(id).toMatch(/^tr_[0-9a-f]{32}$/);

    // A answers first, with the id it would predict from its own (a counter's next value)...
    const predicted = toA.requestId!.replace(/\d+$/, (n) => String(Number(n) + 1));
    const forged = [{ name: 'forged-by-a', windows: [] }];
    a.send({ type: 'terminal:list-result', requestId: predicted, sessions: forged });
    // ...then with B's exact id (say it leaked), as a result and as an error.
    a.send({ type: 'terminal:list-result', requestId: toB.requestId, sessions: forged });
    a.send({ type: 'terminal:error', requestId: toB.requestId, code: 'not_found', message: 'forged by a' });
    await waitFor(() => gateway.process.stderr.includes('request sent to another viber; refused'), {
      description: "the gateway's refusal in its log",
    });

    b.send({
      type: 'terminal:list-result',
      requestId: toB.requestId,
      sessions: [{ name: 'b-real', windows: [] }],
    });
    const answer = await forB;
    expect(answer).toMatchObject({ viberId: b.viberId, sessions: [{ name: 'b-real' }] });
    // Nothing A sent reached the viewer.
    expect(JSON.stringify(viewer.received)).not.toMatch(/forged/);
  });
});
