import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { TerminalViewer } from '../../../test/support/terminal-viewer.ts';
import { waitFor } from '../../../test/support/wait.ts';
import {
  encodePaneOutputFrame,
  type GatewayMessage,
  type TerminalOutputFormat,
} from '../../protocol/index.ts';

// Binary output frames through the gateway, with a daemon played by hand (the real daemon and
// tmux are in terminals.test.ts): negotiated on both hops, relayed in order with the JSON
// messages around them, and turned into JSON for a viewer that did not ask for them.

type Attach = Extract<GatewayMessage, { type: 'terminal:attach' }>;

describe('binary terminal output through the gateway', () => {
  let harness: TestGateway;
  const closers: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    harness = await TestGateway.start();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await harness.cleanup();
  });

  async function daemon(extensions: string[]): Promise<FakeDaemon> {
    const registered = await harness.gateway.registerViber('binary viber');
    const connected = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: registered.id,
      token: registered.token,
      extensions,
    });
    closers.push(() => connected.close());
    return connected;
  }

  async function viewer(output: TerminalOutputFormat): Promise<TerminalViewer> {
    const connected = await TerminalViewer.connect(harness.gateway.url, TEST_OPERATOR_TOKEN, 'read', output);
    closers.push(() => connected.close());
    return connected;
  }

  /** Attaches `viewer` to pane %7 as `work`, answering its attach with a screen as the daemon does. */
  async function attach(fake: FakeDaemon, watcher: TerminalViewer): Promise<void> {
    const from = fake.received.length;
    watcher.send({ type: 'terminal:attach', viberId: fake.viberId, target: 'work' });
    const request = await fake.waitFor<Attach>((message) => message.type === 'terminal:attach', { from });
    fake.send({
      type: 'terminal:screen',
      target: 'work',
      paneId: '%7',
      appId: request.appId,
      cols: 80,
      rows: 24,
      data: '\x1b[H\x1b[2Jscreen',
    });
    await watcher.waitFor((message) => message.type === 'terminal:screen');
  }

  it('relays binary frames to binary and JSON viewers alike, in order with the screens', async () => {
    const fake = await daemon(['seq', 'command-ack', 'terminal-binary']);
    expect(fake.connectOk?.extensions).toContain('terminal-binary');
    const binary = await viewer('binary');
    const json = await viewer('json');
    expect(binary.connection.output).toBe('binary');
    expect(json.connection.output).toBe('json');
    await attach(fake, binary);
    await attach(fake, json);

    const parts = ['\x1b[31mred\x1b[0m ', 'é€😀 \\ \x00\x07', '\r\n'.repeat(3), 'x'.repeat(70_000)];
    for (const part of parts) fake.send(Buffer.from(encodePaneOutputFrame('%7', Buffer.from(part))));
    // The JSON form too (an older daemon's), between binary frames: same order, same text.
    fake.send({ type: 'terminal:output', target: '%7', paneId: '%7', data: 'from json' });
    fake.send(Buffer.from(encodePaneOutputFrame('%7', Buffer.from(' end'))));
    const expected = `${parts.join('')}from json end`;
    for (const watcher of [binary, json]) {
      await waitFor(() => watcher.output('work').endsWith(' end'), { description: 'the last frame' });
      expect(watcher.output('work')).toBe(expected);
      expect(watcher.received.map((message) => message.type)).toEqual([
        'terminal:screen',
        ...Array(parts.length + 2).fill('terminal:output'),
      ]);
    }
    expect(fake.ofType('error')).toEqual([]);
  });

  it('refuses binary frames from a daemon that did not negotiate them, and frames that are not output', async () => {
    const plain = await daemon(['seq', 'command-ack']);
    expect(plain.connectOk?.extensions).not.toContain('terminal-binary');
    const watcher = await viewer('binary');
    await attach(plain, watcher);
    plain.send(Buffer.from(encodePaneOutputFrame('%7', Buffer.from('not negotiated'))));
    await plain.waitFor((message) => message.type === 'error' && message.code === 'bad_request');

    const binary = await daemon(['seq', 'command-ack', 'terminal-binary']);
    binary.send(Buffer.from([9, 0, 2, 0x25, 0x37, 0x61]));
    binary.send(Buffer.from(encodePaneOutputFrame('work', Buffer.from('not a pane id'))));
    await waitFor(() => binary.ofType('error').length === 2, { description: 'two refusals' });
    expect(binary.ofType('error').map((error) => error.code)).toEqual(['bad_request', 'bad_request']);
    expect(watcher.output('work')).toBe('');
  });
});
