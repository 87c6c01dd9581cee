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
import type {
  ChannelFollowRecord,
  ChannelRecord,
  ChannelSenderRecord,
  ChannelsStore,
  ConversationRecord,
  DeliveryRecord,
} from '../channels-store.ts';
import type { ChannelChanged } from '../store-changes.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/**
 * The channels on the embedded store. One connection and synchronous transactions: every lease
 * and dedupe decision is one statement or one transaction no other call interleaves with. What
 * the Channels page shows is told as `channel.changed` by the transaction that changed it.
 */
export function sqliteChannels(db: SqliteDatabase): ChannelsStore {
  const getChannel = (id: string): ChannelRecord | null => {
    const row = db.get('SELECT * FROM channels WHERE id = :id', { id });
    return row ? channelFromRow(row) : null;
  };
  const getSender = (channelId: string, senderId: string): ChannelSenderRecord | null => {
    const row = db.get(
      'SELECT * FROM channel_senders WHERE channel_id = :channelId AND sender_id = :senderId',
      {
        channelId,
        senderId,
      },
    );
    return row ? senderFromRow(row) : null;
  };
  const getConversation = (channelId: string, key: string): ConversationRecord | null => {
    const row = db.get(
      'SELECT * FROM channel_conversations WHERE channel_id = :channelId AND conversation_key = :key',
      { channelId, key },
    );
    return row ? conversationFromRow(row) : null;
  };
  const getDelivery = (id: string): DeliveryRecord | null => {
    const row = db.get('SELECT * FROM channel_deliveries WHERE id = :id', { id });
    return row ? deliveryFromRow(row) : null;
  };

  return {
    async insertChannel(channel) {
      db.transaction((changes) => {
        db.run(
          `INSERT INTO channels (${CHANNEL_COLUMNS.join(', ')})
            VALUES (${CHANNEL_COLUMNS.map((column) => `:${column}`).join(', ')})`,
          sqliteValues(channelParams(channel)),
        );
        changes.push(changed(channel.id));
      });
    },
    async getChannel(id) {
      return getChannel(id);
    },
    async listChannels() {
      return db.all('SELECT * FROM channels ORDER BY created_at, id').map(channelFromRow);
    },
    async updateChannel(id, patch) {
      return db.transaction((changes) => {
        const current = getChannel(id);
        if (!current) return null;
        const next: ChannelRecord = { ...current, ...patch };
        const params = sqliteValues(channelParams(next));
        db.run(
          `UPDATE channels SET ${CHANNEL_COLUMNS.filter((column) => column !== 'id')
            .map((column) => `${column} = :${column}`)
            .join(', ')} WHERE id = :id`,
          params,
        );
        changes.push(changed(id));
        return next;
      });
    },
    async deleteChannel(id) {
      return db.transaction((changes) => {
        // The embedded store runs without foreign keys: what hangs off the channel goes by hand.
        for (const table of CHILD_TABLES) db.run(`DELETE FROM ${table} WHERE channel_id = :id`, { id });
        const deleted = db.run('DELETE FROM channels WHERE id = :id', { id }) > 0;
        if (deleted) changes.push(changed(id));
        return deleted;
      });
    },

    async getSender(channelId, senderId) {
      return getSender(channelId, senderId);
    },
    async insertSender(sender) {
      return db.transaction((changes) => {
        const inserted =
          db.run(
            `INSERT INTO channel_senders (channel_id, sender_id, display_name, status, code_hash, created_at, updated_at)
              VALUES (:channelId, :senderId, :displayName, :status, :codeHash, :createdAt, :updatedAt)
              ON CONFLICT (channel_id, sender_id) DO NOTHING`,
            { ...sender },
          ) > 0;
        if (inserted) changes.push(changed(sender.channelId));
        return { sender: getSender(sender.channelId, sender.senderId)!, inserted };
      });
    },
    async updateSender(channelId, senderId, patch) {
      return db.transaction((changes) => {
        const current = getSender(channelId, senderId);
        if (!current) return null;
        const next = { ...current, ...patch };
        db.run(
          `UPDATE channel_senders SET display_name = :displayName, status = :status, code_hash = :codeHash,
            updated_at = :updatedAt WHERE channel_id = :channelId AND sender_id = :senderId`,
          {
            channelId,
            senderId,
            displayName: next.displayName,
            status: next.status,
            codeHash: next.codeHash,
            updatedAt: next.updatedAt,
          },
        );
        changes.push(changed(channelId));
        return next;
      });
    },
    async findSenderByCodeHash(codeHash) {
      const row = db.get(
        "SELECT * FROM channel_senders WHERE code_hash = :codeHash AND status = 'pending' LIMIT 1",
        { codeHash },
      );
      return row ? senderFromRow(row) : null;
    },
    async listSenders(channelId) {
      return db
        .all(
          `SELECT * FROM channel_senders WHERE channel_id = :channelId
            ORDER BY CASE status WHEN 'pending' THEN 0 WHEN 'allowed' THEN 1 ELSE 2 END, created_at, sender_id`,
          { channelId },
        )
        .map(senderFromRow);
    },
    async countPendingSenders() {
      const rows = db.all(
        "SELECT channel_id, count(*) AS n FROM channel_senders WHERE status = 'pending' GROUP BY channel_id",
      );
      return new Map(rows.map((row) => [row.channel_id as string, Number(row.n)]));
    },

    async getConversation(channelId, key) {
      return getConversation(channelId, key);
    },
    async claimConversation(channelId, key, target, holder, now, leaseUntil) {
      return db.transaction(() => {
        db.run(
          `INSERT INTO channel_conversations (channel_id, conversation_key, target, task_id, messages, updated_at)
            VALUES (:channelId, :key, :target, NULL, '[]', :now) ON CONFLICT DO NOTHING`,
          { channelId, key, target: JSON.stringify(target), now },
        );
        const taken = db.run(
          `UPDATE channel_conversations SET holder = :holder, lease_until = :leaseUntil
            WHERE channel_id = :channelId AND conversation_key = :key
              AND (holder IS NULL OR holder = :holder OR lease_until < :now)`,
          { channelId, key, holder, leaseUntil, now },
        );
        return taken > 0 ? getConversation(channelId, key) : null;
      });
    },
    async saveConversation(conversation, holder) {
      db.run(
        `UPDATE channel_conversations SET target = :target, task_id = :taskId, messages = :messages,
          updated_at = :updatedAt, holder = NULL, lease_until = NULL
          WHERE channel_id = :channelId AND conversation_key = :key AND holder = :holder`,
        {
          channelId: conversation.channelId,
          key: conversation.conversationKey,
          target: JSON.stringify(conversation.target),
          taskId: conversation.taskId,
          messages: JSON.stringify(conversation.messages),
          updatedAt: conversation.updatedAt,
          holder,
        },
      );
    },
    async releaseConversation(channelId, key, holder) {
      db.run(
        `UPDATE channel_conversations SET holder = NULL, lease_until = NULL
          WHERE channel_id = :channelId AND conversation_key = :key AND holder = :holder`,
        { channelId, key, holder },
      );
    },

    async recordInbound(channelId, eventId, at, event) {
      return (
        db.run(
          `INSERT INTO channel_inbound (channel_id, event_id, received_at, payload)
            VALUES (:channelId, :eventId, :at, :payload) ON CONFLICT DO NOTHING`,
          { channelId, eventId, at, payload: event ? JSON.stringify(event) : null },
        ) > 0
      );
    },
    async claimInbound({ holder, now, leaseUntil, limit, receivedBefore, only }) {
      return db.transaction(() => {
        const rows = db.all(
          `SELECT channel_id, event_id FROM channel_inbound
            WHERE payload IS NOT NULL AND (lease_until IS NULL OR lease_until < :now)
              AND (:before IS NULL OR received_at < :before)
              AND (:channelId IS NULL OR (channel_id = :channelId AND event_id = :eventId))
            ORDER BY received_at, event_id LIMIT :limit`,
          {
            now,
            limit,
            before: receivedBefore ?? null,
            channelId: only?.channelId ?? null,
            eventId: only?.eventId ?? null,
          },
        );
        return rows.map((row) => {
          const key = { channelId: row.channel_id as string, eventId: row.event_id as string };
          db.run(
            `UPDATE channel_inbound SET holder = :holder, lease_until = :leaseUntil, attempts = attempts + 1
              WHERE channel_id = :channelId AND event_id = :eventId`,
            { ...key, holder, leaseUntil },
          );
          return pendingFromRow(
            db.get(
              'SELECT * FROM channel_inbound WHERE channel_id = :channelId AND event_id = :eventId',
              key,
            )!,
          );
        });
      });
    },
    async finishInbound(channelId, eventId, holder) {
      db.run(
        `UPDATE channel_inbound SET payload = NULL, holder = NULL, lease_until = NULL
          WHERE channel_id = :channelId AND event_id = :eventId AND holder = :holder`,
        { channelId, eventId, holder },
      );
    },
    async purgeInbound(before) {
      return db.run('DELETE FROM channel_inbound WHERE received_at < :before', { before });
    },

    async followTask(follow) {
      db.run(
        `INSERT INTO channel_follows (task_id, channel_id, conversation_key, created_at, finished_at)
          VALUES (:taskId, :channelId, :conversationKey, :createdAt, :finishedAt)
          ON CONFLICT (task_id) DO UPDATE SET channel_id = excluded.channel_id,
            conversation_key = excluded.conversation_key`,
        { ...follow },
      );
    },
    async getFollow(taskId) {
      const row = db.get('SELECT * FROM channel_follows WHERE task_id = :taskId', { taskId });
      return row ? followFromRow(row) : null;
    },
    async listOpenFollows() {
      return db
        .all('SELECT * FROM channel_follows WHERE finished_at IS NULL ORDER BY created_at')
        .map((row): ChannelFollowRecord => followFromRow(row));
    },
    async finishFollow(taskId, at) {
      db.run('UPDATE channel_follows SET finished_at = :at WHERE task_id = :taskId AND finished_at IS NULL', {
        taskId,
        at,
      });
    },

    async enqueueDelivery(delivery) {
      return db.transaction((changes) => {
        const inserted =
          db.run(
            `INSERT INTO channel_deliveries (id, channel_id, dedupe_key, target, message, status, next_attempt_at, created_at)
              VALUES (:id, :channelId, :dedupeKey, :target, :message, 'queued', :createdAt, :createdAt)
              ON CONFLICT (channel_id, dedupe_key) DO NOTHING`,
            {
              ...delivery,
              target: JSON.stringify(delivery.target),
              message: JSON.stringify(delivery.message),
            },
          ) > 0;
        // A delivery queued before under this dedupe key: nothing changed.
        if (inserted) changes.push(changed(delivery.channelId));
        return inserted;
      });
    },
    async claimDeliveries(holder, now, leaseUntil, limit) {
      return db.transaction(() => {
        const ids = db
          .all(
            `SELECT d.id FROM channel_deliveries d JOIN channels c ON c.id = d.channel_id
              WHERE d.status = 'queued' AND d.next_attempt_at <= :now AND c.enabled = 1
                AND (d.lease_until IS NULL OR d.lease_until < :now)
              ORDER BY d.next_attempt_at, d.created_at LIMIT :limit`,
            { now, limit },
          )
          .map((row) => row.id as string);
        for (const id of ids) {
          db.run('UPDATE channel_deliveries SET holder = :holder, lease_until = :leaseUntil WHERE id = :id', {
            id,
            holder,
            leaseUntil,
          });
        }
        return ids.map((id) => getDelivery(id)!);
      });
    },
    async markDeliveryProgress(id, holder, partsSent) {
      db.run('UPDATE channel_deliveries SET parts_sent = :partsSent WHERE id = :id AND holder = :holder', {
        id,
        holder,
        partsSent,
      });
    },
    async completeDelivery(id, holder, at) {
      db.transaction((changes) => {
        const sent = db.run(
          `UPDATE channel_deliveries SET status = 'sent', sent_at = :at, attempts = attempts + 1,
            next_attempt_at = NULL, holder = NULL, lease_until = NULL, last_error = NULL
            WHERE id = :id AND holder = :holder`,
          { id, holder, at },
        );
        if (sent > 0) changes.push(changed(getDelivery(id)!.channelId));
      });
    },
    async failDelivery(id, holder, failure) {
      return db.transaction((changes) => {
        const updated = db.run(
          `UPDATE channel_deliveries SET attempts = attempts + 1, last_error = :error,
            status = CASE WHEN :nextAttemptAt IS NULL THEN 'failed' ELSE 'queued' END,
            next_attempt_at = :nextAttemptAt, holder = NULL, lease_until = NULL
            WHERE id = :id AND holder = :holder`,
          { id, holder, error: failure.error, nextAttemptAt: failure.nextAttemptAt },
        );
        const failed = updated > 0 ? getDelivery(id) : null;
        if (failed) changes.push(changed(failed.channelId));
        return failed;
      });
    },
    async listDeliveries(channelId, limit) {
      return db
        .all(
          'SELECT * FROM channel_deliveries WHERE channel_id = :channelId ORDER BY created_at DESC, id DESC LIMIT :limit',
          { channelId, limit },
        )
        .map(deliveryFromRow);
    },
    async countDeliveries() {
      const rows = db.all(
        `SELECT channel_id, sum(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued,
          sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed
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
      return db.transaction(() => {
        db.run('INSERT INTO channel_pollers (channel_id) VALUES (:channelId) ON CONFLICT DO NOTHING', {
          channelId,
        });
        const taken = db.run(
          `UPDATE channel_pollers SET holder = :holder, lease_until = :leaseUntil
            WHERE channel_id = :channelId AND (holder IS NULL OR holder = :holder OR lease_until < :now)`,
          { channelId, holder, leaseUntil, now },
        );
        if (taken === 0) return null;
        const row = db.get('SELECT update_offset FROM channel_pollers WHERE channel_id = :channelId', {
          channelId,
        });
        return { offset: (row?.update_offset as string | null) ?? null };
      });
    },
    async savePollerOffset(channelId, holder, offset) {
      return (
        db.run(
          'UPDATE channel_pollers SET update_offset = :offset WHERE channel_id = :channelId AND holder = :holder',
          { channelId, holder, offset },
        ) > 0
      );
    },
    async releasePoller(channelId, holder) {
      db.run(
        'UPDATE channel_pollers SET holder = NULL, lease_until = NULL WHERE channel_id = :channelId AND holder = :holder',
        { channelId, holder },
      );
    },
  };
}

const changed = (channelId: string): ChannelChanged => ({ type: 'channel.changed', channelId });

const CHILD_TABLES = [
  'channel_senders',
  'channel_conversations',
  'channel_follows',
  'channel_inbound',
  'channel_deliveries',
  'channel_pollers',
] as const;

/** node:sqlite binds no booleans: true and false go in as 1 and 0. */
function sqliteValues(params: Record<string, string | number | boolean | null>) {
  return Object.fromEntries(
    Object.entries(params).map(([key, value]) => [key, typeof value === 'boolean' ? (value ? 1 : 0) : value]),
  );
}
