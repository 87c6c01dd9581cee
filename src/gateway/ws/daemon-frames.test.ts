import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { LIMITS, WS_CLOSE } from '../../protocol/index.ts';

describe('gateway WebSocket frames', () => {
  let harness: TestGateway;
  let bad: FakeDaemon;
  let good: FakeDaemon;
  let goodViberId: string;

  beforeEach(async () => {
    harness = await TestGateway.start();
    const a = await harness.gateway.registerViber('bad');
    const b = await harness.gateway.registerViber('good');
    goodViberId = b.id;
    bad = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: a.id, token: a.token });
    good = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: b.id, token: b.token });
  });
  afterEach(async () => {
    await bad.close();
    await good.close();
    await harness.cleanup();
  });

  const nextError = async (frame: string | Buffer) => {
    const before = bad.ofType('error').length;
    bad.socket.send(frame);
    await waitFor(() => bad.ofType('error').length > before);
    return bad.ofType('error')[before]!;
  };

  it('answers each bad frame with a precise error and keeps the connection', async () => {
    expect(await nextError('{nope')).toEqual({
      type: 'error',
      code: 'invalid_json',
      message: 'frame is not valid JSON',
    });
    expect(await nextError('[1,2]')).toMatchObject({
      code: 'unknown_message',
      message: 'frame has no string "type" field',
    });
    expect(await nextError('{"type":"task:explode"}')).toEqual({
      type: 'error',
      code: 'unknown_message',
      message: 'unknown message type "task:explode"',
    });
    const invalid = await nextError(
      JSON.stringify({ type: 'task:started', taskId: 't', seq: 0, spaceId: 's' }),
    );
    expect(invalid.code).toBe('validation_failed');
    expect(invalid.message).toMatch(/^task:started: seq:/);
    expect(await nextError(Buffer.from([1, 2, 3]))).toMatchObject({ code: 'bad_request' });
    expect(bad.socket.readyState).toBe(bad.socket.OPEN);
    // Still a working connection, and fields a newer daemon adds are ignored, not refused.
    const errors = bad.ofType('error').length;
    bad.socket.send(
      JSON.stringify({
        type: 'heartbeat',
        status: { state: 'idle', runningTasks: 0, uptimeSeconds: 1, future: true },
        x: 1,
      }),
    );
    await waitFor(
      async () => (await harness.api('GET', `/api/vibers/${bad.viberId}`)).json.lastHeartbeatAt !== null,
    );
    expect(bad.ofType('error')).toHaveLength(errors);
  });

  it('refuses a frame over the limit alone, and closes one over the read limit with 1009', async () => {
    expect(await nextError(JSON.stringify({ type: 'pong', pad: 'x'.repeat(LIMITS.maxFrameBytes) }))).toEqual({
      type: 'error',
      code: 'payload_too_large',
      message: `frame exceeds ${LIMITS.maxFrameBytes} bytes`,
    });
    expect(bad.socket.readyState).toBe(bad.socket.OPEN);
    bad.socket.send(JSON.stringify({ type: 'pong', pad: 'x'.repeat(LIMITS.maxFrameReadBytes) }));
    expect((await bad.closed).code).toBe(WS_CLOSE.tooLarge);
    const task = await harness.api('POST', '/api/tasks', { goal: 'still fine', viberId: goodViberId });
    const submit = await good.waitFor((message) => message.type === 'task:submit');
    expect(submit).toMatchObject({ taskId: task.json.id });
    expect((await harness.api('GET', '/health')).json.vibers).toBe(1);
  });
});
