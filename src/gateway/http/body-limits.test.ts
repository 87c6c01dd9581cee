import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { LIMITS } from '../../protocol/index.ts';

// Items 5 and 12 of the hardening issue: REST bodies have a nesting bound with a precise error,
// and a client that hangs up mid-body is logged as what it is, not as a gateway fault.

/** `{"a":{"a":...}}` nested `levels` deep, as text. */
const nestedText = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

describe('REST body limits', () => {
  let harness: TestGateway;
  const lines: Array<Record<string, unknown>> = [];

  beforeEach(async () => {
    lines.length = 0;
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    harness = await TestGateway.start({ logger: pino({ level: 'debug' }, sink) });
  });
  afterEach(() => harness.cleanup());

  it('refuses a body nested deeper than the limit, naming it, and stores nothing', async () => {
    const viber = await harness.gateway.registerViber('v');
    const deep = `{"goal":"x","viberId":"${viber.id}","options":${nestedText(LIMITS.maxJsonDepth)}}`;
    const response = await harness.api('POST', '/api/tasks', deep);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      error: {
        code: 'validation_failed',
        message: `request body nests deeper than ${LIMITS.maxJsonDepth} levels, the limit`,
      },
    });
    // Far deeper still (within the size limit): the same answer, no stack overflow anywhere.
    const deeper = await harness.api('POST', '/api/tasks', `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`);
    expect(deeper.json.error.code).toBe('validation_failed');
    // At the limit the body is judged by its schema as usual.
    const atLimit = await harness.api(
      'POST',
      '/api/tasks',
      `{"goal":"x","viberId":"${viber.id}","options":${nestedText(LIMITS.maxJsonDepth - 1)}}`,
    );
    expect(atLimit.json.error).toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/^options/),
    });
    expect((await harness.api('GET', '/api/tasks')).json.tasks).toEqual([]);
  });

  it('logs a client that disconnects mid-body on one info line, without a stack', async () => {
    const url = new URL(harness.gateway.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_OPERATOR_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"goal":"half a bo',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await waitFor(() => lines.some((line) => line.path === '/api/tasks'), { description: 'the log line' });
    const logged = lines.filter((line) => line.path === '/api/tasks');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 30,
        method: 'POST',
        msg: 'client disconnected before sending the whole request body',
        receivedBytes: 18,
      }),
    ]);
    expect(JSON.stringify(logged)).not.toMatch(/stack|"err"/);
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});
