import {
  CHANNEL_COLUMNS,
  channelFromRow,
  channelParams,
  conversationFromRow,
  deliveryFromRow,
  followFromRow,
  pendingFromRow,
  senderFromRow,
} from '../channel-rows.ts';
import type { ChannelRecord, ChannelsStore } from '../channels-store.ts';
import type { ChannelChanged } from '../store-changes.ts';
import type { PostgresDatabase, Statements } from './postgres-database.ts';

/**
 * The channels on PostgreSQL, shared by every gateway. Leases are one conditional UPDATE each
 * (the row lock makes two gateways take turns); deliveries are claimed with FOR UPDATE SKIP
 * LOCKED, so gateways polling the queue at once never wait on, or take, each other's rows. What
 * the Channels page shows is told as `channel.changed` by the transaction that changed it.
 */
export function postgresChannels(db: PostgresDatabase): ChannelsStore {
  const getChannel = async (on: Statements, id: string): Promise<ChannelRecord | null> => {
    const row = await on.get('SELECT * FROM channels WHERE id = $1', [id]);
    return row ? channelFromRow(row) : null;
  };
  const getSender = async (on: Statements, channelId: string, senderId: string) => {
    const row = await on.get('SELECT * FROM channel_senders WHERE channel_id = $1 AND sender_id = $2', [
      channelId,
      senderId,
    ]);
    return row ? senderFromRow(row) : null;
  };
  const getConversation = async (on: Statements, channelId: string, key: string) => {
    const row = await on.get(
      'SELECT * FROM channel_conversations WHERE channel_id = $1 AND conversation_key = $2',
      [channelId, key],
    );
    return row ? conversationFromRow(row) : null;
  };

  return {
    async insertChannel(channel) {
      const params = channelParams(channel);
      await db.transaction(async (tx, changes) => {
        await tx.run(
          `INSERT INTO channels (${CHANNEL_COLUMNS.join(', ')})
            VALUES (${CHANNEL_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`,
          CHANNEL_COLUMNS.map((column) => params[column]),
        );
        changes.push(changed(channel.id));
      });
    },
    async getChannel(id) {
      return getChannel(db, id);
    },
    async listChannels() {
      return (await db.all('SELECT * FROM channels ORDER BY created_at, id')).map(channelFromRow);
    },
    async updateChannel(id, patch) {
      return db.transaction(async (tx, changes) => {
        const row = await tx.get('SELECT * FROM channels WHERE id = $1 FOR UPDATE', [id]);
        if (!row) return null;
        const next: ChannelRecord = { ...channelFromRow(row), ...patch };
        const params = channelParams(next);
        const columns = CHANNEL_COLUMNS.filter((column) => column !== 'id');
        await tx.run(
          `UPDATE channels SET ${columns.map((column, index) => `${column} = $${index + 2}`).join(', ')} WHERE id = $1`,
          [id, ...columns.map((column) => params[column])],
        );
        changes.push(changed(id));
        return next;
      });
    },
    async deleteChannel(id) {
      return db.transaction(async (tx, changes) => {
        // Everything of the channel goes with it (ON DELETE CASCADE).
        const deleted = (await tx.run('DELETE FROM channels WHERE id = $1', [id])) > 0;
        if (deleted) changes.push(changed(id));
        return deleted;
      });
    },

    async getSender(channelId, senderId) {
      return getSender(db, channelId, senderId);
    },
    async insertSender(sender) {
      return db.transaction(async (tx, changes) => {
        const inserted =
          (await tx.run(
            `INSERT INTO channel_senders (channel_id, sender_id, display_name, status, code_hash, created_at, updated_at)
              VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (channel_id, sender_id) DO NOTHING`,
            [
              sender.channelId,
              sender.senderId,
              sender.displayName,
              sender.status,
              sender.codeHash,
              sender.createdAt,
              sender.updatedAt,
            ],
          )) > 0;
        if (inserted) changes.push(changed(sender.channelId));
        return { sender: (await getSender(tx, sender.channelId, sender.senderId))!, inserted };
      });
    },
    async updateSender(channelId, senderId, patch) {
      return db.transaction(async (tx, changes) => {
        const row = await tx.get(
          'SELECT * FROM channel_senders WHERE channel_id = $1 AND sender_id = $2 FOR UPDATE',
          [channelId, senderId],
        );
        if (!row) return null;
        const next = { ...senderFromRow(row), ...patch };
        await tx.run(
          `UPDATE channel_senders SET display_name = $3, status = $4, code_hash = $5, updated_at = $6
            WHERE channel_id = $1 AND sender_id = $2`,
          [channelId, senderId, next.displayName, next.status, next.codeHash, next.updatedAt],
        );
        changes.push(changed(channelId));
        return next;
      });
    },
    async findSenderByCodeHash(codeHash) {
      const row = await db.get(
        "SELECT * FROM channel_senders WHERE code_hash = $1 AND status = 'pending' LIMIT 1",
        [codeHash],
      );
      return row ? senderFromRow(row) : null;
    },
    async listSenders(channelId) {
      const rows = await db.all(
        `SELECT * FROM channel_senders WHERE channel_id = $1
          ORDER BY CASE status WHEN 'pending' THEN 0 WHEN 'allowed' THEN 1 ELSE 2 END, created_at, sender_id`,
        [channelId],
      );
      return rows.map(senderFromRow);
    },
    async countPendingSenders() {
      const rows = await db.all(
        "SELECT channel_id, count(*) AS n FROM channel_senders WHERE status = 'pending' GROUP BY channel_id",
      );
      return new Map(rows.map((row) => [row.channel_id as string, Number(row.n)]));
    },

    async getConversation(channelId, key) {
      return getConversation(db, channelId, key);
    },
    async claimConversation(channelId, key, target, holder, now, leaseUntil) {
      return db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO channel_conversations (channel_id, conversation_key, target, task_id, messages, updated_at)
            VALUES ($1, $2, $3, NULL, '[]', $4) ON CONFLICT DO NOTHING`,
          [channelId, key, JSON.stringify(target), now],
        );
        const taken = await tx.run(
          `UPDATE channel_conversations SET holder = $3, lease_until = $4
            WHERE channel_id = $1 AND conversation_key = $2
              AND (holder IS NULL OR holder = $3 OR lease_until < $5)`,
          [channelId, key, holder, leaseUntil, now],
        );
        return taken > 0 ? getConversation(tx, channelId, key) : null;
      });
    },
    async saveConversation(conversation, holder) {
      await db.run(
        `UPDATE channel_conversations SET target = $3, task_id = $4, messages = $5, updated_at = $6,
          holder = NULL, lease_until = NULL
          WHERE channel_id = $1 AND conversation_key = $2 AND holder = $7`,
        [
          conversation.channelId,
          conversation.conversationKey,
          JSON.stringify(conversation.target),
          conversation.taskId,
          JSON.stringify(conversation.messages),
          conversation.updatedAt,
          holder,
        ],
      );
    },
    async releaseConversation(channelId, key, holder) {
      await db.run(
        `UPDATE channel_conversations SET holder = NULL, lease_until = NULL
          WHERE channel_id = $1 AND conversation_key = $2 AND holder = $3`,
        [channelId, key, holder],
      );
    },

    async recordInbound(channelId, eventId, at, event) {
      return (
        (await db.run(
          `INSERT INTO channel_inbound (channel_id, event_id, received_at, payload) VALUES ($1, $2, $3, $4)
            ON CONFLICT DO NOTHING`,
          [channelId, eventId, at, event ? JSON.stringify(event) : null],
        )) > 0
      );
    },
    async claimInbound({ holder, now, leaseUntil, limit, receivedBefore, only }) {
      const rows = await db.transaction(async (tx) =>
        tx.all(
          `UPDATE channel_inbound SET holder = $1, lease_until = $3, attempts = attempts + 1
            WHERE (channel_id, event_id) IN (
              SELECT channel_id, event_id FROM channel_inbound
                WHERE payload IS NOT NULL AND (lease_until IS NULL OR lease_until < $2)
                  AND ($5::text IS NULL OR received_at < $5)
                  AND ($6::text IS NULL OR (channel_id = $6 AND event_id = $7))
                ORDER BY received_at, event_id LIMIT $4
                FOR UPDATE SKIP LOCKED)
            RETURNING *`,
          [
            holder,
            now,
            leaseUntil,
            limit,
            receivedBefore ?? null,
            only?.channelId ?? null,
            only?.eventId ?? null,
          ],
        ),
      );
      return rows
        .map(pendingFromRow)
        .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.eventId.localeCompare(b.eventId));
    },
    async finishInbound(channelId, eventId, holder) {
      await db.run(
        `UPDATE channel_inbound SET payload = NULL, holder = NULL, lease_until = NULL
          WHERE channel_id = $1 AND event_id = $2 AND holder = $3`,
        [channelId, eventId, holder],
      );
    },
    async purgeInbound(before) {
      return db.run('DELETE FROM channel_inbound WHERE received_at < $1', [before]);
    },

    async followTask(follow) {
      await db.run(
        `INSERT INTO channel_follows (task_id, channel_id, conversation_key, created_at, finished_at)
          VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (task_id) DO UPDATE SET channel_id = excluded.channel_id,
            conversation_key = excluded.conversation_key`,
        [follow.taskId, follow.channelId, follow.conversationKey, follow.createdAt, follow.finishedAt],
      );
    },
    async getFollow(taskId) {
      const row = await db.get('SELECT * FROM channel_follows WHERE task_id = $1', [taskId]);
      return row ? followFromRow(row) : null;
    },
    async listOpenFollows() {
      const rows = await db.all(
        'SELECT * FROM channel_follows WHERE finished_at IS NULL ORDER BY created_at',
      );
      return rows.map(followFromRow);
    },
    async finishFollow(taskId, at) {
      await db.run('UPDATE channel_follows SET finished_at = $2 WHERE task_id = $1 AND finished_at IS NULL', [
        taskId,
        at,
      ]);
    },

    async enqueueDelivery(delivery) {
      return db.transaction(async (tx, changes) => {
        const inserted =
          (await tx.run(
            `INSERT INTO channel_deliveries (id, channel_id, dedupe_key, target, message, status, next_attempt_at, created_at)
              VALUES ($1, $2, $3, $4, $5, 'queued', $6, $6)
              ON CONFLICT (channel_id, dedupe_key) DO NOTHING`,
            [
              delivery.id,
              delivery.channelId,
              delivery.dedupeKey,
              JSON.stringify(delivery.target),
              JSON.stringify(delivery.message),
              delivery.createdAt,
            ],
          )) > 0;
        // A delivery queued before under this dedupe key: nothing changed.
        if (inserted) changes.push(changed(delivery.channelId));
        return inserted;
      });
    },
    async claimDeliveries(holder, now, leaseUntil, limit) {
      const rows = await db.transaction(async (tx) =>
        tx.all(
          `UPDATE channel_deliveries SET holder = $1, lease_until = $3
            WHERE id IN (
              SELECT d.id FROM channel_deliveries d JOIN channels c ON c.id = d.channel_id
                WHERE d.status = 'queued' AND d.next_attempt_at <= $2 AND c.enabled
                  AND (d.lease_until IS NULL OR d.lease_until < $2)
                ORDER BY d.next_attempt_at, d.created_at LIMIT $4
                FOR UPDATE OF d SKIP LOCKED)
            RETURNING *`,
          [holder, now, leaseUntil, limit],
        ),
      );
      return rows.map(deliveryFromRow).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async markDeliveryProgress(id, holder, partsSent) {
      await db.run('UPDATE channel_deliveries SET parts_sent = $3 WHERE id = $1 AND holder = $2', [
        id,
        holder,
        partsSent,
      ]);
    },
    async completeDelivery(id, holder, at) {
      await db.transaction(async (tx, changes) => {
        const sent = await tx.get(
          `UPDATE channel_deliveries SET status = 'sent', sent_at = $3, attempts = attempts + 1,
            next_attempt_at = NULL, holder = NULL, lease_until = NULL, last_error = NULL
            WHERE id = $1 AND holder = $2 RETURNING channel_id`,
          [id, holder, at],
        );
        if (sent) changes.push(changed(sent.channel_id as string));
      });
    },
    async failDelivery(id, holder, failure) {
      return db.transaction(async (tx, changes) => {
        const row = await tx.get(
          `UPDATE channel_deliveries SET attempts = attempts + 1, last_error = $3,
            status = CASE WHEN $4::text IS NULL THEN 'failed' ELSE 'queued' END,
            next_attempt_at = $4, holder = NULL, lease_until = NULL
            WHERE id = $1 AND holder = $2 RETURNING *`,
          [id, holder, failure.error, failure.nextAttemptAt],
        );
        const failed = row ? deliveryFromRow(row) : null;
        if (failed) changes.push(changed(failed.channelId));
        return failed;
      });
    },
    async listDeliveries(channelId, limit) {
      const rows = await db.all(
        'SELECT * FROM channel_deliveries WHERE channel_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
        [channelId, limit],
      );
      return rows.map(deliveryFromRow);
    },
    async countDeliveries() {
      const rows = await db.all(
        `SELECT channel_id, count(*) FILTER (WHERE status = 'queued') AS queued,
          count(*) FILTER (WHERE status = 'failed') AS failed
          FROM channel_deliveries GROUP BY channel_id`,
      );
      return new Map(
        rows.map((row) => [
          row.channel_id as string,
          { queued: Number(row.queued), failed: Number(row.failed) },
        ]),
      );
    },

    async claimPoller(channelId, holder, now, leaseUntil) {
      return db.transaction(async (tx) => {
        await tx.run('INSERT INTO channel_pollers (channel_id) VALUES ($1) ON CONFLICT DO NOTHING', [
          channelId,
        ]);
        const row = await tx.get(
          `UPDATE channel_pollers SET holder = $2, lease_until = $3
            WHERE channel_id = $1 AND (holder IS NULL OR holder = $2 OR lease_until < $4)
            RETURNING update_offset`,
          [channelId, holder, leaseUntil, now],
        );
        return row ? { offset: (row.update_offset as string | null) ?? null } : null;
      });
    },
    async savePollerOffset(channelId, holder, offset) {
      return (
        (await db.run('UPDATE channel_pollers SET update_offset = $3 WHERE channel_id = $1 AND holder = $2', [
          channelId,
          holder,
          offset,
        ])) > 0
      );
    },
    async releasePoller(channelId, holder) {
      await db.run(
        'UPDATE channel_pollers SET holder = NULL, lease_until = NULL WHERE channel_id = $1 AND holder = $2',
        [channelId, holder],
      );
    },
  };
}

const changed = (channelId: string): ChannelChanged => ({ type: 'channel.changed', channelId });
