import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.ts';
import { createLogger } from '../../core/logger.ts';
import {
  encodePortFrame,
  type GatewayMessage,
  MAX_PORT_BODY_CHUNK_BYTES,
  PORT_WINDOW_BYTES,
  type PortFailure,
} from '../../protocol/index.ts';
import { gatewayInbox } from '../bus/gateway-topics.ts';
import { InProcessTopicBus } from '../bus/topic-bus.ts';
import { ConnectionRegistry } from '../vibers/connection-registry.ts';
import { ViberConnection } from '../vibers/viber-connection.ts';
import { PortCrossing } from './port-crossing.ts';
import type { ExchangeSink } from './port-exchange.ts';
import { PortRelay, PortRelayError } from './port-relay.ts';

// The port crossing between two gateways in this process on one bus: gateway B's client reaches a
// viber whose connection is on gateway A. The viber's end is A's real ViberConnection on a socket
// that records what it is sent; its answers go through A's relay as A's dispatch hands them over.
// The window and the credits hold from B to the viber; every way an exchange ends is told.

const VIBER = 'viber-1';
const REFRESH_MS = 20;
const log = createLogger('port-crossing-test');

interface Recorded {
  response?: number;
  data: number;
  done: boolean;
  failed?: { failure: PortFailure | 'offline'; message: string };
}

function recordingSink(): ExchangeSink & { seen: Recorded } {
  const seen: Recorded = { data: 0, done: false };
  return {
    seen,
    response: (status) => (seen.response = status),
    data: (bytes) => (seen.data += bytes.length),
    done: () => (seen.done = true),
    failed: (failure, message) => (seen.failed = { failure, message }),
  };
}

function twoGateways(listTimeoutMs?: number) {
  const bus = new InProcessTopicBus(log);
  const sent: GatewayMessage[] = [];
  const socket = {
    readyState: 1,
    send: (text: string) => sent.push(JSON.parse(text) as GatewayMessage),
    close: () => undefined,
    terminate: () => undefined,
  };
  const connection = new ViberConnection(VIBER, socket, log);
  connection.ready = true;
  const atA = new ConnectionRegistry();
  atA.add(connection);
  const relayA = new PortRelay(atA, log);
  const crossingA = new PortCrossing({
    ...{ bus, relay: relayA, refreshMs: REFRESH_MS, log },
    gatewayId: 'gateway-a',
    locations: { where: () => undefined },
  });
  relayA.crossGateways(crossingA);
  const where = { holder: 'gateway-a' as string | undefined };
  const relayB = new PortRelay(new ConnectionRegistry(), log);
  const crossingB = new PortCrossing({
    ...{ bus, relay: relayB, refreshMs: REFRESH_MS, log },
    gatewayId: 'gateway-b',
    locations: { where: () => where.holder },
    ...(listTimeoutMs !== undefined ? { listTimeoutMs } : {}),
  });
  relayB.crossGateways(crossingB);
  crossingA.start();
  crossingB.start();
  running.push(crossingA, crossingB);
  const ofType = <T extends GatewayMessage['type']>(type: T) =>
    sent.filter((message): message is Extract<GatewayMessage, { type: T }> => message.type === type);
  const bodyBytes = () =>
    ofType('port:body').reduce((total, message) => total + Buffer.from(message.data, 'base64').length, 0);
  const open = (sink: ExchangeSink) =>
    relayB.open(VIBER, { port: 8080, method: 'POST', path: '/', headers: [], upgrade: false }, 5_000, sink);
  return { bus, sent, relayA, relayB, crossingA, crossingB, where, ofType, bodyBytes, open };
}

const running: PortCrossing[] = [];
afterEach(() => {
  for (const crossing of running.splice(0)) crossing.stop();
});

/** A few turns of the event loop: what would happen without an answer has happened. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('ports across gateways', () => {
  it('lists the ports of a viber another gateway holds, and says why not', async () => {
    const { relayA, relayB, ofType, where } = twoGateways();
    const listing = relayB.list(VIBER);
    const [asked] = ofType('ports:list');
    expect(asked).toBeDefined();
    relayA.handleDaemonMessage(VIBER, {
      type: 'ports:listed',
      requestId: asked!.requestId,
      ports: [
        {
          port: 8080,
          address: '127.0.0.1',
          pid: 42,
          command: 'node server.js',
          cwd: '/w',
          ownership: 'workspace',
          answers: true,
        },
      ],
    });
    expect((await listing).ports.map((port) => port.port)).toEqual([8080]);

    // A viber the holder does not have (any more): its relay's refusal comes back as it is.
    const notThere = await relayB.list('viber-2').catch((error: unknown) => error);
    expect(notThere).toBeInstanceOf(PortRelayError);
    expect(notThere).toMatchObject({ status: 503, message: 'viber viber-2 is not connected' });

    // The holder goes away while B waits for its answer.
    const waiting = relayB.list(VIBER).catch((error: unknown) => error);
    where.holder = undefined;
    expect(await waiting).toMatchObject({
      status: 503,
      message: `the gateway holding viber ${VIBER} went away`,
    });
    // Known nowhere: refused on B at once.
    await expect(relayB.list(VIBER)).rejects.toMatchObject({
      status: 503,
      message: `viber ${VIBER} is not connected`,
    });
  });

  it('answers 504 when the holder says nothing of a listing', async () => {
    const { crossingA, relayB } = twoGateways(50);
    crossingA.stop();
    await expect(relayB.list(VIBER)).rejects.toMatchObject({
      status: 504,
      message: `the gateway holding viber ${VIBER} did not answer`,
    });
  });

  it('keeps the request window and the answer credit from B to the viber', async () => {
    const { relayA, relayB, crossingA, ofType, bodyBytes, open } = twoGateways();
    const sink = recordingSink();
    const exchange = open(sink);
    expect(ofType('port:request')[0]).toMatchObject({ exchangeId: exchange.id, port: 8080, method: 'POST' });
    expect(crossingA.servedCount).toBe(1);

    // 3 MiB of body: one window reaches the viber, then B waits for its acknowledgements.
    const body = Buffer.alloc(3 * 1024 * 1024, 'abc');
    const sending = exchange.send(body);
    await settle();
    expect(bodyBytes()).toBeGreaterThanOrEqual(PORT_WINDOW_BYTES);
    expect(bodyBytes()).toBeLessThan(PORT_WINDOW_BYTES + MAX_PORT_BODY_CHUNK_BYTES);
    let acked = 0;
    while (acked < body.length) {
      const written = bodyBytes() - acked;
      relayA.handleDaemonMessage(VIBER, { type: 'port:ack', exchangeId: exchange.id, bytes: written });
      acked += written;
      await settle();
    }
    await sending;
    const received = Buffer.concat(ofType('port:body').map((message) => Buffer.from(message.data, 'base64')));
    expect(received.equals(body)).toBe(true);

    // The answer: a window of frames reaches B's client; the viber hears of credit only as B passes them on.
    relayA.handleDaemonMessage(VIBER, {
      type: 'port:response',
      exchangeId: exchange.id,
      status: 200,
      headers: [],
    });
    const frame = new Uint8Array(256 * 1024);
    for (let at = 0; at < PORT_WINDOW_BYTES; at += frame.length)
      relayA.handleDaemonFrame(VIBER, encodePortFrame(exchange.id, frame));
    expect(sink.seen).toMatchObject({ response: 200, data: PORT_WINDOW_BYTES });
    expect(ofType('port:credit')).toEqual([]);
    exchange.credit(PORT_WINDOW_BYTES);
    expect(ofType('port:credit')).toEqual([
      { type: 'port:credit', exchangeId: exchange.id, bytes: PORT_WINDOW_BYTES },
    ]);
    relayA.handleDaemonMessage(VIBER, { type: 'port:done', exchangeId: exchange.id });
    expect(sink.seen.done).toBe(true);
    expect(relayB.size).toBe(0);
    expect(crossingA.servedCount).toBe(0);
    expect(relayA.servedCount).toBe(0);
  });

  it('tells B the viber left, and cancels on the viber what B closed', () => {
    const { relayA, relayB, crossingA, ofType, open } = twoGateways();
    const closedByClient = open(recordingSink());
    closedByClient.cancel();
    expect(ofType('port:cancel')).toEqual([{ type: 'port:cancel', exchangeId: closedByClient.id }]);
    expect(crossingA.servedCount).toBe(0);

    const sink = recordingSink();
    open(sink);
    relayA.viberDisconnected(VIBER);
    expect(sink.seen.failed).toEqual({ failure: 'offline', message: `viber ${VIBER} disconnected` });
    expect(relayB.size).toBe(0);
  });

  it('fails B’s exchange when the holder goes away, and A cancels what a silent B left', async () => {
    const { relayA, relayB, crossingB, ofType, where, open } = twoGateways();
    const sink = recordingSink();
    const exchange = open(sink);
    where.holder = undefined;
    await waitFor(() => sink.seen.failed, { description: 'the exchange failed on B' });
    expect(sink.seen.failed).toEqual({
      failure: 'offline',
      message: `the gateway holding viber ${VIBER} went away`,
    });
    // A was still there (the viber had moved, as far as B knew): the viber drops the request.
    expect(ofType('port:cancel')).toEqual([{ type: 'port:cancel', exchangeId: exchange.id }]);
    expect(relayB.size).toBe(0);

    where.holder = 'gateway-a';
    const left = open(recordingSink());
    crossingB.stop();
    await waitFor(() => ofType('port:cancel').some((message) => message.exchangeId === left.id), {
      description: 'the exchange of the silent gateway cancelled on the viber',
    });
    expect(relayA.servedCount).toBe(0);
  });

  it('passes nothing malformed from the bus to the viber', () => {
    const { bus, sent } = twoGateways();
    bus.publish(gatewayInbox('gateway-a'), {
      type: 'port.to-viber',
      from: 'gateway-b',
      viberId: VIBER,
      message: { type: 'port:request', exchangeId: 'not an id!' } as never,
    });
    bus.publish(gatewayInbox('gateway-a'), {
      type: 'port.to-viber',
      from: 'gateway-b',
      viberId: VIBER,
      message: { type: 'port:body', exchangeId: 'unknown', data: 'AAAA' },
    });
    expect(sent).toEqual([]);
  });
});
