import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { UIMessageChunk } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAgentTest } from '../../../../test/support/in-process/agent-test.ts';
import { type LocalHttpServer, startLocalHttpServer } from '../../../../test/support/local-http-server.ts';
import { scriptedModel, textTurn, toolTurn } from '../../../../test/support/scripted-model.ts';
import { waitFor } from '../../../../test/support/wait.ts';
import type { ConfigFile } from '../../../core/config.ts';
import { createRedactor } from '../../../core/redaction.ts';
import type { TaskReport } from '../../report.ts';
import { createToolSet, describeToolCall, TOOL_CATALOG } from '../index.ts';
import { openBrowserSessions } from './browser-session.ts';
import { chromiumStatus, closeChromium } from './chromium.ts';

/** Real Chromium on pages this test serves on 127.0.0.1; no other network. */
const agent = useAgentTest();
const realTools = { tools: createToolSet, catalog: TOOL_CATALOG, dependencies: { describeToolCall } };
const alwaysExecute: ConfigFile = { agent: { mode: 'always-execute' } };

const FORM = `<!doctype html><title>Sign up</title><h1>Sign up</h1>
<form method="post" action="/submit">
<label>Name <input name="name"></label>
<label>Plan <select name="plan"><option>Free</option><option>Pro</option></select></label>
<button type="submit">Send</button></form>`;

let server: LocalHttpServer;
beforeAll(async () => {
  server = await startLocalHttpServer((request, response) => {
    if (request.url === '/form') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(FORM);
    } else if (request.url === '/submit' && request.method === 'POST') {
      const form = new URLSearchParams(request.body);
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<title>Thanks</title><p>Welcome ${form.get('name')}, plan ${form.get('plan')}</p>`);
    } else if (request.url === '/never') {
      // Headers but no end: the load event never fires.
      response.writeHead(200, { 'content-type': 'text/html' });
      response.write('<p>loading');
    } else if (request.url === '/alert') {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<title>Alert</title><button onclick="alert('hello from the page')">Alert</button>`);
    } else if (request.url === '/file.csv') {
      response
        .writeHead(200, {
          'content-type': 'text/csv',
          'content-disposition': 'attachment; filename="data.csv"',
        })
        .end('a,b\n1,2\n');
    } else if (request.url === '/download') {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<title>Download</title><a href="/file.csv" download>Get the data</a>`);
    } else if (request.url === '/broken') {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<title>Broken</title><script>throw new Error('boom in page')</script>`);
    } else {
      response.writeHead(404).end('not found');
    }
  });
});
afterAll(async () => {
  await server.close();
  await closeChromium();
});

type Output = Record<string, unknown>;
function outputs(chunks: UIMessageChunk[]): Map<string, Output> {
  const found = new Map<string, Output>();
  for (const chunk of chunks) {
    if (chunk.type === 'tool-output-available') found.set(chunk.toolCallId, chunk.output as Output);
  }
  return found;
}

const available = chromiumStatus(process.env).available;

describe.skipIf(!available)('browser tools in a task', () => {
  it('fills and submits a form, checks it, screenshots it, and a report claim cites the screenshot', async () => {
    const model = scriptedModel([
      toolTurn([{ id: 'open', name: 'browser_open', input: { url: `${server.url}/form` } }]),
      toolTurn([{ id: 'snap1', name: 'browser_snapshot', input: {} }]),
      toolTurn([{ id: 'type', name: 'browser_type', input: { ref: 'e1', text: 'Ada' } }]),
      toolTurn([{ id: 'select', name: 'browser_select', input: { ref: 'e2', option: 'Pro' } }]),
      toolTurn([{ id: 'click', name: 'browser_click', input: { ref: 'e3' } }]),
      toolTurn([{ id: 'wait', name: 'browser_wait', input: { text: 'Welcome Ada' } }]),
      toolTurn([{ id: 'snap2', name: 'browser_snapshot', input: {} }]),
      toolTurn([{ id: 'shot', name: 'browser_screenshot', input: {} }]),
      toolTurn([
        {
          id: 'report',
          name: 'report',
          input: {
            summary: 'The form was submitted.',
            claims: [{ text: 'The site welcomes Ada on the Pro plan', evidence: ['snap2', 'shot'] }],
          },
        },
      ]),
      textTurn('Submitted.'),
    ]);
    const h = agent.start({ model, ...realTools, config: alwaysExecute });
    const outcome = await h.task.done;
    expect(outcome.status).toBe('completed');
    const results = outputs(h.chunks);
    expect(results.get('open')).toMatchObject({ status: 200, title: 'Sign up' });
    const first = results.get('snap1')!;
    expect(first.text).toContain('Sign up');
    expect(first.elements).toBe(
      '[e1] textbox "Name" = ""\n[e2] combobox "Plan" = "Free" options: "Free", "Pro"\n[e3] button "Send"',
    );
    expect(results.get('click')).toMatchObject({
      navigated: true,
      url: `${server.url}/submit`,
      title: 'Thanks',
    });
    expect(results.get('snap2')!.text).toBe('Welcome Ada, plan Pro');

    const shot = results.get('shot')!;
    expect(shot).toMatchObject({ evidenceId: 'shot', mediaType: 'image/png' });
    const png = readFileSync(shot.path as string);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(createHash('sha256').update(png).digest('hex')).toBe(shot.sha256);
    expect(png.byteLength).toBe(shot.bytes);

    const screenshotPart = h.chunks.find((chunk) => chunk.type === 'data-screenshot') as
      | { data: { base64: string; toolCallId: string; action: string } }
      | undefined;
    expect(screenshotPart?.data).toMatchObject({
      toolCallId: 'shot',
      action: `browser_screenshot of ${server.url}/submit`,
    });
    expect(Buffer.from(screenshotPart!.data.base64, 'base64').equals(png)).toBe(true);

    const report = h.chunks.find((chunk) => chunk.type === 'data-report') as { data: TaskReport } | undefined;
    const claim = report!.data.claims[0]!;
    expect(claim.status).toBe('verified');
    expect(claim.evidence).toContainEqual({
      kind: 'file',
      toolCallId: 'shot',
      path: shot.path,
      sha256: shot.sha256,
      bytes: shot.bytes,
      mediaType: 'image/png',
      action: `browser_screenshot of ${server.url}/submit`,
    });
    await waitFor(() => openBrowserSessions() === 0, { description: 'the task browser closed' });
  });

  it('gives clear errors for a page that never loads, a stale reference, and keeps going', async () => {
    const model = scriptedModel([
      toolTurn([
        { id: 'never', name: 'browser_open', input: { url: `${server.url}/never`, timeoutSeconds: 1 } },
      ]),
      toolTurn([{ id: 'open', name: 'browser_open', input: { url: `${server.url}/form` } }]),
      toolTurn([{ id: 'snap', name: 'browser_snapshot', input: {} }]),
      toolTurn([{ id: 'open2', name: 'browser_open', input: { url: `${server.url}/alert` } }]),
      toolTurn([{ id: 'stale', name: 'browser_click', input: { ref: 'e3' } }]),
      toolTurn([{ id: 'bad-url', name: 'browser_open', input: { url: 'file:///etc/passwd' } }]),
      textTurn('Done.'),
    ]);
    const h = agent.start({ model, ...realTools, config: alwaysExecute });
    expect((await h.task.done).status).toBe('completed');
    const results = outputs(h.chunks);
    expect(results.get('never')).toEqual({
      evidenceId: 'never',
      error: expect.stringContaining(`${server.url}/never did not finish loading within 1 s`),
    });
    expect(results.get('open')).toMatchObject({ status: 200 });
    expect(results.get('stale')).toEqual({
      evidenceId: 'stale',
      error: `element e3 is not on the page any more (the page changed or navigated, now at ${server.url}/alert); take a new browser_snapshot and use its references`,
    });
    expect(results.get('bad-url')).toEqual({
      evidenceId: 'bad-url',
      error: 'the browser opens only http:// and https:// URLs, not file:',
    });
  });

  it('dismisses a dialog, saves a download as an artifact, lists page errors, and survives a browser crash', async () => {
    const model = scriptedModel([
      toolTurn([{ id: 'open', name: 'browser_open', input: { url: `${server.url}/alert` } }]),
      toolTurn([{ id: 'snap', name: 'browser_snapshot', input: {} }]),
      toolTurn([{ id: 'alert', name: 'browser_click', input: { ref: 'e1' } }]),
      toolTurn([{ id: 'dl-page', name: 'browser_open', input: { url: `${server.url}/download` } }]),
      toolTurn([{ id: 'dl-snap', name: 'browser_snapshot', input: {} }]),
      toolTurn([{ id: 'dl', name: 'browser_click', input: { ref: 'e2' } }]),
      toolTurn([{ id: 'broken', name: 'browser_open', input: { url: `${server.url}/broken` } }]),
      toolTurn([{ id: 'console', name: 'browser_console', input: {} }]),
      // The browser process ends before the next call.
      () =>
        new ReadableStream({
          async start(controller) {
            await closeChromium();
            for (const part of toolTurn([
              { id: 'after-crash', name: 'browser_open', input: { url: `${server.url}/form` } },
            ]))
              controller.enqueue(part);
            controller.close();
          },
        }),
      textTurn('Done.'),
    ]);
    const h = agent.start({ model, ...realTools, config: alwaysExecute });
    expect((await h.task.done).status).toBe('completed');
    const results = outputs(h.chunks);
    expect(results.get('alert')!.notices).toEqual([
      'A alert dialog said "hello from the page"; it was dismissed.',
    ]);
    const notices = [...results.values()].flatMap((output) => (output.notices as string[] | undefined) ?? []);
    const saved = notices.find((text) =>
      text.startsWith(`A download of ${server.url}/file.csv was saved as the artifact`),
    );
    expect(saved).toBeDefined();
    const path = /at (\S+)\.$/.exec(saved!)![1]!;
    expect(readFileSync(path, 'utf8')).toBe('a,b\n1,2\n');
    expect(h.chunks).toContainEqual(
      expect.objectContaining({ type: 'data-artifact', data: expect.objectContaining({ path, bytes: 8 }) }),
    );
    expect(results.get('console')!.entries).toContainEqual(
      expect.objectContaining({ type: 'pageerror', text: expect.stringContaining('boom in page') }),
    );
    // A notice comes with the next result: on a loaded machine the download's may come this late.
    expect(results.get('after-crash')).toMatchObject({
      status: 200,
      notices: expect.arrayContaining([
        'The browser had stopped (crashed or closed) and was started again: the page is blank, open the URL again.',
      ]),
    });
  });
});

describe.skipIf(!available)('browser tools and autonomy', () => {
  it('agent-decides: opening runs, a click (may submit) waits for approval', async () => {
    const model = scriptedModel([
      toolTurn([{ id: 'open', name: 'browser_open', input: { url: `${server.url}/form` } }]),
      toolTurn([{ id: 'snap', name: 'browser_snapshot', input: {} }]),
      toolTurn([{ id: 'click', name: 'browser_click', input: { ref: 'e3' } }]),
      textTurn('Done.'),
    ]);
    const h = agent.start({ model, ...realTools, config: { agent: { mode: 'agent-decides' } } });
    await waitFor(() => h.chunks.some((chunk) => chunk.type === 'tool-approval-request'), {
      description: 'an approval',
    });
    const requests = h.chunks.filter((chunk) => chunk.type === 'tool-approval-request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ toolCallId: 'click' });
    expect(outputs(h.chunks).get('open')).toMatchObject({ status: 200 });
    h.task.stop('test over');
    await h.task.done;
  });

  it('always-ask: navigation waits for approval', async () => {
    const before = server.requests.length;
    const model = scriptedModel([
      toolTurn([{ id: 'open', name: 'browser_open', input: { url: `${server.url}/form` } }]),
      textTurn('Done.'),
    ]);
    const h = agent.start({ model, ...realTools, config: { agent: { mode: 'always-ask' } } });
    await waitFor(() => h.chunks.some((chunk) => chunk.type === 'tool-approval-request'), {
      description: 'an approval',
    });
    expect(h.chunks.find((chunk) => chunk.type === 'tool-approval-request')).toMatchObject({
      toolCallId: 'open',
    });
    expect(server.requests.length).toBe(before);
    h.task.stop('test over');
    await h.task.done;
  });

  it('network off: navigation is refused and no request leaves the browser', async () => {
    const before = server.requests.length;
    const model = scriptedModel([
      toolTurn([{ id: 'open', name: 'browser_open', input: { url: `${server.url}/form` } }]),
      textTurn('Done.'),
    ]);
    const h = agent.start({
      model,
      ...realTools,
      config: alwaysExecute,
      environment: { execution: { env: {}, redactor: createRedactor({}), networkAccess: false } },
    });
    expect((await h.task.done).status).toBe('completed');
    expect(outputs(h.chunks).get('open')).toEqual({
      evidenceId: 'open',
      error: `network access is off in this environment: the browser may not open ${server.url}/form`,
    });
    expect(server.requests.length).toBe(before);
  });
});

describe('without Chromium', () => {
  it('the browser tools are absent and the reason is said', () => {
    const env = { OPENVIBER_CHROMIUM: '/nonexistent/chromium' };
    expect(chromiumStatus(env)).toEqual({
      available: false,
      reason:
        'no executable Chromium at OPENVIBER_CHROMIUM=/nonexistent/chromium; install chromium or set OPENVIBER_CHROMIUM to its path',
    });
    const names = Object.keys(createToolSet({ settingsEnv: env } as never));
    expect(names.some((name) => name.startsWith('browser_'))).toBe(false);
    expect(existsSync('/nonexistent/chromium')).toBe(false);
  });
});
