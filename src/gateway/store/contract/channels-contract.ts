import { describe, expect, it } from 'vitest';
import type { ChannelRecord } from '../channels-store.ts';
import { type OpenStore, tick, useStore } from './contract-harness.ts';

function aChannel(id: string, fields: Partial<ChannelRecord> = {}): ChannelRecord {
  const at = tick();
  return {
    id,
    kind: 'telegram',
    name: `channel ${id}`,
    config: { apiBaseUrl: 'http://127.0.0.1:1', receive: 'polling' },
    sealedSecrets: { botToken: 'k1:v1.sealed' },
    viberId: null,
    environmentId: null,
    mode: 'always-ask',
    enabled: true,
    lastError: null,
    lastErrorAt: null,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}

const delivery = (id: string, channelId: string, dedupeKey: string, createdAt = tick()) => ({
  id,
  channelId,
  dedupeKey,
  target: { chatId: '42' },
  message: { kind: 'text', text: `answer ${id}` },
  createdAt,
});

export function channelsContract(open: OpenStore): void {
  describe('channels', () => {
    const subject = useStore(open);

    it('stores channels with sealed secrets, patches and deletes them with everything of theirs', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_a'));
      await store.insertChannel(aChannel('chan_b', { kind: 'webhook', enabled: false, mode: null }));
      expect((await store.listChannels()).map((channel) => channel.id)).toEqual(['chan_a', 'chan_b']);
      expect(await store.getChannel('chan_b')).toMatchObject({ kind: 'webhook', enabled: false, mode: null });
      const patched = await store.updateChannel('chan_a', {
        name: 'renamed',
        lastError: 'down',
        enabled: false,
      });
      expect(patched).toMatchObject({ name: 'renamed', lastError: 'down', enabled: false });
      expect(await store.getChannel('chan_a')).toEqual(patched);
      expect(await store.updateChannel('chan_none', { name: 'x' })).toBeNull();

      await store.insertSender({
        ...{ channelId: 'chan_a', senderId: '7', displayName: 'Ann', status: 'pending', codeHash: 'h' },
        ...{ createdAt: tick(), updatedAt: tick() },
      });
      await store.enqueueDelivery(delivery('dlv_1', 'chan_a', 'answer:task_1'));
      expect(await store.deleteChannel('chan_a')).toBe(true);
      expect(await store.deleteChannel('chan_a')).toBe(false);
      expect(await store.getSender('chan_a', '7')).toBeNull();
      expect(await store.listDeliveries('chan_a', 10)).toEqual([]);
    });

    it('keeps senders once, finds a pending one by its code hash, and counts pending ones', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_s'));
      const first = { channelId: 'chan_s', senderId: '1', displayName: 'Ann', status: 'pending' as const };
      const inserted = await store.insertSender({
        ...first,
        codeHash: 'hash-1',
        createdAt: tick(),
        updatedAt: tick(),
      });
      expect(inserted.inserted).toBe(true);
      const again = await store.insertSender({
        ...first,
        codeHash: 'hash-2',
        createdAt: tick(),
        updatedAt: tick(),
      });
      expect(again).toEqual({ sender: inserted.sender, inserted: false });
      await store.insertSender({
        ...first,
        senderId: '2',
        codeHash: null,
        status: 'allowed',
        createdAt: tick(),
        updatedAt: tick(),
      });
      expect(await store.findSenderByCodeHash('hash-1')).toMatchObject({ senderId: '1' });
      expect(await store.findSenderByCodeHash('hash-2')).toBeNull();
      expect((await store.countPendingSenders()).get('chan_s')).toBe(1);
      const allowed = await store.updateSender('chan_s', '1', {
        status: 'allowed',
        codeHash: null,
        updatedAt: tick(),
      });
      expect(allowed).toMatchObject({ status: 'allowed', codeHash: null });
      expect(await store.findSenderByCodeHash('hash-1')).toBeNull();
      expect((await store.listSenders('chan_s')).map((sender) => sender.senderId)).toEqual(['1', '2']);
      expect(await store.updateSender('chan_s', 'nobody', { status: 'blocked' })).toBeNull();
    });

    it('tells a change of what the Channels page shows, once committed, and nothing for a no-op', async () => {
      const { store } = subject;
      const told = (channelId: string) => ({ type: 'channel.changed', channelId });
      await store.insertChannel(aChannel('chan_t'));
      await store.updateChannel('chan_t', { lastError: 'down', lastErrorAt: tick() });
      expect(await store.updateChannel('chan_none', { name: 'x' })).toBeNull();
      const sender = { channelId: 'chan_t', senderId: '7', displayName: 'Ann', status: 'pending' as const };
      await store.insertSender({ ...sender, codeHash: 'h', createdAt: tick(), updatedAt: tick() });
      await store.insertSender({ ...sender, codeHash: 'h2', createdAt: tick(), updatedAt: tick() });
      await store.updateSender('chan_t', '7', { status: 'allowed', codeHash: null, updatedAt: tick() });
      expect(await store.updateSender('chan_t', 'nobody', { status: 'blocked' })).toBeNull();
      expect(subject.changes()).toEqual([told('chan_t'), told('chan_t'), told('chan_t'), told('chan_t')]);

      // Queued (once per dedupe key), failed an attempt, sent: each told; a claim and the
      // progress of a send are not what the page shows.
      subject.clear();
      const now = '2030-01-01T00:00:00.000Z';
      const lease = '2030-01-01T00:00:30.000Z';
      await store.enqueueDelivery(delivery('dlv_t', 'chan_t', 'answer:task_t', '2029-12-31T00:00:00.000Z'));
      await store.enqueueDelivery(delivery('dlv_u', 'chan_t', 'answer:task_t'));
      expect(subject.changes()).toEqual([told('chan_t')]);
      subject.clear();
      await store.claimDeliveries('gw-a', now, lease, 10);
      await store.markDeliveryProgress('dlv_t', 'gw-a', 1);
      expect(await store.failDelivery('dlv_t', 'gw-b', { error: 'x', nextAttemptAt: null })).toBeNull();
      await store.completeDelivery('dlv_t', 'gw-b', now);
      expect(subject.changes()).toEqual([]);
      await store.failDelivery('dlv_t', 'gw-a', { error: '429', nextAttemptAt: now });
      await store.claimDeliveries('gw-b', now, lease, 10);
      await store.completeDelivery('dlv_t', 'gw-b', now);
      expect(subject.changes()).toEqual([told('chan_t'), told('chan_t')]);

      // Inbound events, conversations and pollers are not shown: nothing told.
      subject.clear();
      await store.recordInbound('chan_t', 'u-1', now, { kind: 'message', eventId: 'u-1' });
      await store.claimConversation('chan_t', '42', { chatId: '42' }, 'gw-a', now, lease);
      await store.claimPoller('chan_t', 'gw-a', now, lease);
      expect(subject.changes()).toEqual([]);

      expect(await store.deleteChannel('chan_t')).toBe(true);
      expect(await store.deleteChannel('chan_t')).toBe(false);
      expect(subject.changes()).toEqual([told('chan_t')]);
    });

    it('lets one holder at a time work on a conversation', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_c'));
      const now = '2030-01-01T00:00:00.000Z';
      const later = '2030-01-01T00:00:30.000Z';
      const claimed = await store.claimConversation('chan_c', '42', { chatId: '42' }, 'gw-a', now, later);
      expect(claimed).toMatchObject({
        conversationKey: '42',
        taskId: null,
        messages: [],
        target: { chatId: '42' },
      });
      expect(await store.claimConversation('chan_c', '42', { chatId: '42' }, 'gw-b', now, later)).toBeNull();
      await store.saveConversation(
        { ...claimed!, taskId: 'task_1', messages: [{ role: 'user', content: 'hi' }], updatedAt: now },
        'gw-a',
      );
      const next = await store.claimConversation('chan_c', '42', { chatId: '42' }, 'gw-b', now, later);
      expect(next).toMatchObject({ taskId: 'task_1', messages: [{ role: 'user', content: 'hi' }] });
      // A lapsed lease is taken over.
      expect(
        await store.claimConversation(
          'chan_c',
          '42',
          {},
          'gw-a',
          '2030-01-01T00:01:00.000Z',
          '2030-01-01T00:02:00.000Z',
        ),
      ).not.toBeNull();
      await store.releaseConversation('chan_c', '42', 'gw-a');
      expect(await store.getConversation('chan_c', '42')).toMatchObject({ taskId: 'task_1' });
    });

    it('records an inbound event once', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_i'));
      expect(await store.recordInbound('chan_i', 'update-1', '2030-01-01T00:00:00.000Z')).toBe(true);
      expect(await store.recordInbound('chan_i', 'update-1', '2030-01-01T00:00:01.000Z')).toBe(false);
      expect(await store.purgeInbound('2030-01-02T00:00:00.000Z')).toBe(1);
      expect(await store.recordInbound('chan_i', 'update-1', '2030-01-03T00:00:00.000Z')).toBe(true);
    });

    it('keeps a recorded event until it is acted on, leased to one holder at a time', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_q'));
      const event = { kind: 'message', eventId: 'u-1', text: 'hello' };
      expect(await store.recordInbound('chan_q', 'u-1', '2030-01-01T00:00:00.000Z', event)).toBe(true);
      expect(await store.recordInbound('chan_q', 'u-1', '2030-01-01T00:00:00.500Z', event)).toBe(false);
      await store.recordInbound('chan_q', 'u-2', '2030-01-01T00:00:01.000Z', { ...event, eventId: 'u-2' });
      // Recorded without an event (acted on at once, or before this column): never pending.
      await store.recordInbound('chan_q', 'u-0', '2030-01-01T00:00:00.000Z');
      const claim = {
        now: '2030-01-01T00:00:02.000Z',
        leaseUntil: '2030-01-01T00:01:00.000Z',
        limit: 10,
      };
      // Only the one asked for.
      const mine = await store.claimInbound({
        ...claim,
        holder: 'gw-a',
        only: { channelId: 'chan_q', eventId: 'u-2' },
      });
      expect(mine).toEqual([
        {
          channelId: 'chan_q',
          eventId: 'u-2',
          event: { ...event, eventId: 'u-2' },
          receivedAt: '2030-01-01T00:00:01.000Z',
          attempts: 1,
        },
      ]);
      // Received too recently for a sweep, then taken; the leased one is not handed out twice.
      expect(
        await store.claimInbound({ ...claim, holder: 'gw-b', receivedBefore: '2029-12-31T00:00:00.000Z' }),
      ).toEqual([]);
      const swept = await store.claimInbound({ ...claim, holder: 'gw-b' });
      expect(swept.map((row) => row.eventId)).toEqual(['u-1']);
      expect(await store.claimInbound({ ...claim, holder: 'gw-c' })).toEqual([]);
      // gw-a dies holding u-2: after its lease another takes it, counting a second attempt.
      await store.finishInbound('chan_q', 'u-1', 'gw-b');
      const later = await store.claimInbound({
        ...claim,
        holder: 'gw-c',
        now: '2030-01-01T00:02:00.000Z',
        leaseUntil: '2030-01-01T00:03:00.000Z',
      });
      expect(later.map((row) => [row.eventId, row.attempts])).toEqual([['u-2', 2]]);
      // A finish by a holder that lost the lease changes nothing; the holder's own does.
      await store.finishInbound('chan_q', 'u-2', 'gw-a');
      expect(
        await store.claimInbound({ ...claim, holder: 'gw-d', now: '2030-01-01T00:04:00.000Z' }),
      ).toHaveLength(1);
      await store.finishInbound('chan_q', 'u-2', 'gw-d');
      expect(await store.claimInbound({ ...claim, holder: 'gw-e', now: '2030-01-01T00:09:00.000Z' })).toEqual(
        [],
      );
      // Acted on, the id still dedupes.
      expect(await store.recordInbound('chan_q', 'u-2', '2030-01-01T00:10:00.000Z', event)).toBe(false);
    });

    it('follows tasks until their answer is queued', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_f'));
      await store.followTask({
        taskId: 'task_f',
        channelId: 'chan_f',
        conversationKey: '1',
        createdAt: tick(),
        finishedAt: null,
      });
      expect(await store.getFollow('task_f')).toMatchObject({ conversationKey: '1', finishedAt: null });
      expect((await store.listOpenFollows()).map((follow) => follow.taskId)).toEqual(['task_f']);
      await store.finishFollow('task_f', tick());
      expect(await store.listOpenFollows()).toEqual([]);
    });

    it('queues a delivery once per dedupe key, leases it to one holder, and retries or fails it', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_d'));
      const now = '2030-01-01T00:00:00.000Z';
      const lease = '2030-01-01T00:00:30.000Z';
      expect(
        await store.enqueueDelivery(delivery('dlv_a', 'chan_d', 'answer:task_1', '2029-12-31T00:00:00.000Z')),
      ).toBe(true);
      expect(await store.enqueueDelivery(delivery('dlv_b', 'chan_d', 'answer:task_1'))).toBe(false);
      expect(
        await store.enqueueDelivery(delivery('dlv_c', 'chan_d', 'answer:task_2', '2029-12-31T00:00:01.000Z')),
      ).toBe(true);

      const [claimA, claimB] = await Promise.all([
        store.claimDeliveries('gw-a', now, lease, 1),
        store.claimDeliveries('gw-b', now, lease, 10),
      ]);
      const ids = [...claimA!, ...claimB!].map((row) => row.id).sort();
      expect(ids).toEqual(['dlv_a', 'dlv_c']);
      expect(await store.claimDeliveries('gw-c', now, lease, 10)).toEqual([]);
      const a = [...claimA!, ...claimB!].find((row) => row.id === 'dlv_a')!;
      const holderOfA = claimA!.some((row) => row.id === 'dlv_a') ? 'gw-a' : 'gw-b';
      expect(a).toMatchObject({ status: 'queued', attempts: 0, partsSent: 0, message: { kind: 'text' } });

      await store.markDeliveryProgress('dlv_a', holderOfA, 1);
      const retry = '2030-01-01T00:00:05.000Z';
      expect(
        await store.failDelivery('dlv_a', 'not-the-holder', { error: 'x', nextAttemptAt: retry }),
      ).toBeNull();
      const failed = await store.failDelivery('dlv_a', holderOfA, {
        error: '429: retry after 5 s',
        nextAttemptAt: retry,
      });
      expect(failed).toMatchObject({
        status: 'queued',
        attempts: 1,
        partsSent: 1,
        lastError: '429: retry after 5 s',
      });
      expect(await store.claimDeliveries('gw-c', now, lease, 10)).toEqual([]);
      const again = await store.claimDeliveries('gw-c', retry, '2030-01-01T00:01:00.000Z', 10);
      expect(again.map((row) => row.id)).toEqual(['dlv_a']);
      await store.completeDelivery('dlv_a', 'gw-c', retry);

      const holderOfC = holderOfA === 'gw-a' ? 'gw-b' : 'gw-a';
      // A lapsed lease frees the row for another gateway.
      const late = '2030-01-01T00:05:00.000Z';
      const taken = await store.claimDeliveries('gw-d', late, '2030-01-01T00:06:00.000Z', 10);
      expect(taken.map((row) => row.id)).toEqual(['dlv_c']);
      await store.completeDelivery('dlv_c', holderOfC, late);
      await store.failDelivery('dlv_c', 'gw-d', { error: 'chat not found', nextAttemptAt: null });

      const listed = await store.listDeliveries('chan_d', 10);
      expect(listed.map((row) => [row.id, row.status, row.attempts])).toEqual([
        ['dlv_c', 'failed', 1],
        ['dlv_a', 'sent', 2],
      ]);
      expect(listed[1]!.sentAt).toBe(retry);
      expect((await store.countDeliveries()).get('chan_d')).toEqual({ queued: 0, failed: 1 });
    });

    it('does not hand out the deliveries of a disabled channel', async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_off', { enabled: false }));
      await store.enqueueDelivery(delivery('dlv_off', 'chan_off', 'answer:x', '2029-01-01T00:00:00.000Z'));
      expect(
        await store.claimDeliveries('gw', '2030-01-01T00:00:00.000Z', '2030-01-01T00:01:00.000Z', 5),
      ).toEqual([]);
      await store.updateChannel('chan_off', { enabled: true });
      expect(
        await store.claimDeliveries('gw', '2030-01-01T00:00:00.000Z', '2030-01-01T00:01:00.000Z', 5),
      ).toHaveLength(1);
    });

    it("leases a bot's poller to one gateway and keeps its offset", async () => {
      const { store } = subject;
      await store.insertChannel(aChannel('chan_p'));
      const now = '2030-01-01T00:00:00.000Z';
      const lease = '2030-01-01T00:00:30.000Z';
      expect(await store.claimPoller('chan_p', 'gw-a', now, lease)).toEqual({ offset: null });
      expect(await store.claimPoller('chan_p', 'gw-b', now, lease)).toBeNull();
      expect(await store.savePollerOffset('chan_p', 'gw-a', '101')).toBe(true);
      expect(await store.savePollerOffset('chan_p', 'gw-b', '999')).toBe(false);
      expect(await store.claimPoller('chan_p', 'gw-a', now, lease)).toEqual({ offset: '101' });
      await store.releasePoller('chan_p', 'gw-a');
      expect(await store.claimPoller('chan_p', 'gw-b', now, lease)).toEqual({ offset: '101' });
      expect(
        await store.claimPoller('chan_p', 'gw-a', '2030-01-01T00:01:00.000Z', '2030-01-01T00:02:00.000Z'),
      ).toEqual({
        offset: '101',
      });
    });
  });
}
