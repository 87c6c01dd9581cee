import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { ScreenshotPart } from '../../protocol/index.ts';

// A 1×1 PNG, as a browser_screenshot would stream it in a data-screenshot part.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const part = (name: string, image: Buffer, sha256 = createHash('sha256').update(image).digest('hex')) =>
  ({
    name,
    path: `/home/v/workspace/t/artifacts/${name}`,
    mediaType: 'image/png',
    sha256,
    bytes: image.byteLength,
    toolCallId: 'call_1',
    action: 'browser_screenshot of http://127.0.0.1/',
    base64: image.toString('base64'),
  }) satisfies ScreenshotPart;

describe('GET /api/tasks/:id/screenshots/:name', () => {
  let harness: TestGateway;
  let daemon: FakeDaemon;
  let taskId: string;
  const get = (
    path: string,
    headers: Record<string, string> = { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` },
  ) => fetch(`${harness.gateway.url}${path}`, { headers });

  beforeEach(async () => {
    harness = await TestGateway.start();
    const viber = await harness.gateway.registerViber('v');
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    taskId = (await harness.api('POST', '/api/tasks', { goal: 'look at it' })).json.id;
    await daemon.startTask(taskId);
    const chunks = [
      { type: 'data-screenshot', id: 'screenshot-call_1.png', data: part('screenshot-call_1.png', PNG) },
      { type: 'text-delta', id: 't', delta: 'seen' },
      {
        type: 'data-screenshot',
        id: 'screenshot-call_2.png',
        data: part('screenshot-call_2.png', PNG, '0'.repeat(64)),
      },
    ];
    for (const [index, chunk] of chunks.entries()) {
      daemon.send({ type: 'task:stream-chunk', taskId, seq: index + 2, chunk });
    }
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === chunks.length + 1);
  });
  afterEach(async () => {
    await daemon.close();
    await harness.cleanup();
  });

  it('answers the image of the stored part, byte for byte, with its media type and cache headers', async () => {
    const response = await get(`/api/tasks/${taskId}/screenshots/screenshot-call_1.png`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(PNG);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-disposition')).toBe('inline; filename="screenshot-call_1.png"');
  });

  it('refuses a caller without a token', async () => {
    const anonymous = await get(`/api/tasks/${taskId}/screenshots/screenshot-call_1.png`, {});
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthorized');
  });

  it('says precisely what is not found', async () => {
    const unknownTask = await get('/api/tasks/task_nope/screenshots/screenshot-call_1.png');
    expect(unknownTask.status).toBe(404);
    expect((await unknownTask.json()).error.message).toBe('task task_nope not found');
    const unknownName = await get(`/api/tasks/${taskId}/screenshots/screenshot-call_9.png`);
    expect(unknownName.status).toBe(404);
    expect((await unknownName.json()).error.message).toBe(
      `task ${taskId} has no screenshot named screenshot-call_9.png`,
    );
  });

  it('refuses a name that is not an artifact file name', async () => {
    for (const name of ['..%2Fsecret.png', '.hidden.png', 'a%5Cb.png', 'a%20b.png']) {
      const response = await get(`/api/tasks/${taskId}/screenshots/${name}`);
      expect(response.status, name).toBe(400);
      const body = await response.json();
      expect(body.error.code, name).toBe('validation_failed');
      expect(body.error.message, name).toContain('must be an artifact file name');
    }
  });

  it('refuses to serve an image that does not match its recorded sha256', async () => {
    const response = await get(`/api/tasks/${taskId}/screenshots/screenshot-call_2.png`);
    expect(response.status).toBe(500);
    expect((await response.json()).error.message).toBe(
      `the stored screenshot screenshot-call_2.png of ${taskId} does not match its recorded sha256`,
    );
  });
});
