import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.ts';
import type { TaskActivity } from '../../protocol/index.ts';
import { BOARD_EVENTS, CHANGES } from '../bus/gateway-topics.ts';
import { InProcessTopicBus } from '../bus/topic-bus.ts';
import { BoardEventStream } from './board-event-stream.ts';

// After a networked bus was cut off (docs/gateway.md, "Redis bus"), a board may have missed other
// gateways' changes: its connection is sent `events.ready` again, which means "refetch".

describe('BoardEventStream after a bus resync', () => {
  it('sends events.ready again, and leaves no subscription once closed', async () => {
    const bus = new InProcessTopicBus(pino({ level: 'silent' }));
    let running = 0;
    const stream = new BoardEventStream({
      bus,
      boardEvents: {
        activities: async (): Promise<Record<string, TaskActivity>> =>
          running > 0 ? { task_1: 'thinking' } : {},
      },
      log: pino({ level: 'silent' }),
      onEnd: () => {},
    });
    const reader = stream.stream.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = async (until: (text: string) => boolean) => {
      while (!until(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    };
    await read((seen) => seen.includes('events.ready'));
    running = 1;
    bus.publish(CHANGES, { type: 'bus.resynced' });
    bus.publish(BOARD_EVENTS, { type: 'devices.changed', deviceId: 'dev_1' });
    await read((seen) => seen.includes('devices.changed') && seen.includes('"task_1":"thinking"'));
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((match) => JSON.parse(match[1]!).type);
    expect(events.filter((type) => type === 'events.ready')).toHaveLength(2);
    await reader.cancel();
    await waitFor(() => bus.listenerCount(CHANGES) === 0 && bus.listenerCount(BOARD_EVENTS) === 0);
  });
});
