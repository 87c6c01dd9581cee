import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InProcessTopicBus, type Topic } from './topic-bus.ts';

describe('InProcessTopicBus', () => {
  it('skips a listener that throws, runs the others, and counts it (openviber_bus_errors_total)', () => {
    const bus = new InProcessTopicBus(pino({ level: 'silent' }));
    const topic: Topic<number> = 'numbers';
    const heard: number[] = [];
    bus.subscribe(topic, () => {
      throw new Error('boom');
    });
    bus.subscribe(topic, (value) => heard.push(value));
    bus.publish(topic, 1);
    bus.publish(topic, 2);
    expect(heard).toEqual([1, 2]);
    expect(bus.listenerFailures).toBe(2);
  });
});
