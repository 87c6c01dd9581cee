import type pg from 'pg';

/**
 * Numbered schema migrations of the PostgreSQL store; the table `openviber_migrations` records
 * which ran. Append new ones at the end, never edit one that shipped. The schema is the embedded
 * store's (sqlite-migrations.ts) as it stands, written for PostgreSQL:
 * - Times stay ISO 8601 text, as the gateway gives them, so records read back equal and compare as
 *   text the way SQLite compares them; ids, names, keys and times that are ordered or compared
 *   are `COLLATE "C"` (byte order, SQLite's BINARY), whatever the database's locale.
 * - `position` (an identity) is the insertion order SQLite's rowid gives: lists "oldest first"
 *   and the task pages' key.
 * - Lists by name ignore ASCII case only, as SQLite's NOCASE does: `openviber_fold` lowers A-Z alone.
 * - A task's environment and a command's binding have their own columns, filled from the JSON by
 *   the gateway, so no query parses stored JSON.
 * - There is no token-era data to carry over: the operator token's device is created as such.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE FUNCTION openviber_fold(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT translate(value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$;
  CREATE TABLE vibers (
    position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    created_at text NOT NULL,
    revoked_at text,
    info text,
    status text,
    config_state text,
    connected_at text,
    last_heartbeat_at text
  );
  CREATE INDEX vibers_by_name ON vibers (openviber_fold(name), id) WHERE revoked_at IS NULL;
  CREATE TABLE tasks (
    position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text COLLATE "C" PRIMARY KEY,
    viber_id text COLLATE "C" NOT NULL REFERENCES vibers (id),
    environment_id text COLLATE "C",
    goal text NOT NULL,
    messages text,
    options text NOT NULL,
    status text COLLATE "C" NOT NULL,
    error text,
    result text,
    usage text,
    stop_requested boolean NOT NULL DEFAULT false,
    last_seq integer NOT NULL DEFAULT 0,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    started_at text,
    ended_at text
  );
  CREATE INDEX tasks_by_viber ON tasks (viber_id, position);
  CREATE INDEX tasks_by_status ON tasks (status, position);
  CREATE INDEX tasks_by_viber_status ON tasks (viber_id, status, position);
  CREATE INDEX tasks_by_environment ON tasks (environment_id, position) WHERE environment_id IS NOT NULL;
  CREATE TABLE task_events (
    task_id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    type text COLLATE "C" NOT NULL,
    payload text NOT NULL,
    at text NOT NULL,
    chunk_type text COLLATE "C",
    PRIMARY KEY (task_id, seq)
  );
  CREATE TABLE task_messages (
    position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text COLLATE "C" PRIMARY KEY,
    task_id text COLLATE "C" NOT NULL,
    message text NOT NULL,
    injection_mode text NOT NULL,
    created_at text NOT NULL,
    delivered_at text
  );
  CREATE INDEX task_messages_by_task ON task_messages (task_id, position);
  CREATE TABLE commands (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command_id text COLLATE "C" NOT NULL UNIQUE,
    viber_id text COLLATE "C" NOT NULL,
    task_id text COLLATE "C",
    binding_id text COLLATE "C",
    type text COLLATE "C" NOT NULL,
    message text NOT NULL,
    created_at text NOT NULL
  );
  CREATE INDEX commands_by_viber ON commands (viber_id, seq);
  CREATE INDEX commands_by_task ON commands (task_id) WHERE task_id IS NOT NULL;
  CREATE INDEX commands_by_binding ON commands (binding_id) WHERE binding_id IS NOT NULL;
  CREATE TABLE idempotency_keys (
    key text COLLATE "C" PRIMARY KEY,
    request_hash text NOT NULL,
    status integer NOT NULL,
    body text NOT NULL,
    created_at text COLLATE "C" NOT NULL
  );
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
  CREATE TABLE login_codes (
    code_hash text COLLATE "C" PRIMARY KEY,
    created_at text NOT NULL,
    expires_at text COLLATE "C" NOT NULL,
    role text NOT NULL,
    scopes text NOT NULL
  );
  CREATE TABLE board_sessions (
    token_hash text COLLATE "C" PRIMARY KEY,
    created_at text NOT NULL,
    expires_at text COLLATE "C" NOT NULL,
    device_id text NOT NULL
  );
  CREATE INDEX board_sessions_by_expiry ON board_sessions (expires_at);
  CREATE TABLE environments (
    id text COLLATE "C" PRIMARY KEY,
    user_id text,
    name text COLLATE "C" NOT NULL UNIQUE,
    description text NOT NULL,
    type text NOT NULL,
    repo_url text,
    repo_org text,
    repo_name text,
    repo_branch text,
    local_path text,
    container_image text,
    working_dir text,
    setup_script text,
    setup_timeout_seconds integer NOT NULL,
    network_access boolean NOT NULL,
    persist_volume boolean NOT NULL,
    metadata text NOT NULL,
    mcp_servers text NOT NULL,
    version integer NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  CREATE INDEX environments_by_name ON environments (openviber_fold(name), id);
  CREATE TABLE environment_vars (
    environment_id text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (environment_id, key)
  );
  CREATE TABLE environment_secrets (
    environment_id text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    encrypted_value text NOT NULL,
    kms_key_id text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY (environment_id, key)
  );
  CREATE TABLE environment_bindings (
    position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text COLLATE "C" PRIMARY KEY,
    environment_id text COLLATE "C" NOT NULL,
    viber_id text COLLATE "C" NOT NULL,
    strategy text NOT NULL,
    path text,
    resolved_working_dir text,
    status text NOT NULL,
    generation integer NOT NULL,
    last_prepare_at text,
    last_error text,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    UNIQUE (environment_id, viber_id)
  );
  CREATE INDEX environment_bindings_by_viber ON environment_bindings (viber_id, position);
  CREATE TABLE environment_logs (
    binding_id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    generation integer NOT NULL,
    stream text NOT NULL,
    line text NOT NULL,
    at text NOT NULL,
    PRIMARY KEY (binding_id, seq)
  );
  CREATE TABLE devices (
    id text COLLATE "C" PRIMARY KEY,
    key_id text COLLATE "C",
    public_key text,
    name text NOT NULL,
    role text COLLATE "C" NOT NULL,
    scopes text NOT NULL,
    status text COLLATE "C" NOT NULL,
    viber_id text,
    pairing_code text,
    source text,
    created_at text COLLATE "C" NOT NULL,
    expires_at text COLLATE "C",
    decided_at text,
    last_seen_at text,
    token_pending boolean NOT NULL DEFAULT false
  );
  CREATE UNIQUE INDEX devices_by_key ON devices (key_id) WHERE key_id IS NOT NULL;
  CREATE INDEX devices_by_status ON devices (status, created_at, id);
  CREATE TABLE device_tokens (
    token_hash text COLLATE "C" PRIMARY KEY,
    device_id text COLLATE "C" NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    created_at text COLLATE "C" NOT NULL,
    last_used_at text,
    revoked_at text
  );
  CREATE INDEX device_tokens_by_device ON device_tokens (device_id);
  INSERT INTO devices (id, name, role, scopes, status, created_at, decided_at)
    SELECT 'operator-token', 'operator token', 'operator',
      '["tasks.read","tasks.write","approvals","vibers.admin","terminals.read","terminals.write","environments.write","secrets.write","devices.admin"]',
      'paired', now_iso, now_iso
    FROM (SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS now_iso) AS now;
  `,
  // 2: the model settings every viber pulls (docs/settings.md): one row, and the providers' keys
  // sealed under the master key like environment secrets.
  `
  CREATE TABLE model_settings (
    id integer PRIMARY KEY CHECK (id = 1),
    provider text,
    model text,
    base_url text,
    mode text,
    version integer NOT NULL,
    updated_at text
  );
  CREATE TABLE provider_keys (
    provider text COLLATE "C" PRIMARY KEY,
    encrypted_value text NOT NULL,
    kms_key_id text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  `,
  // 3: the task tree (docs/delegation.md): a child's parent, its tree's root and
  // depth, the delegate call that started it (one child per call), and when its parent heard of its end.
  `
  ALTER TABLE tasks ADD COLUMN parent_task_id text COLLATE "C";
  ALTER TABLE tasks ADD COLUMN root_task_id text COLLATE "C";
  ALTER TABLE tasks ADD COLUMN depth integer NOT NULL DEFAULT 0;
  ALTER TABLE tasks ADD COLUMN delegate_request_id text COLLATE "C";
  ALTER TABLE tasks ADD COLUMN parent_notified_at text;
  CREATE INDEX tasks_by_parent ON tasks (parent_task_id, position) WHERE parent_task_id IS NOT NULL;
  CREATE INDEX tasks_by_root ON tasks (root_task_id) WHERE root_task_id IS NOT NULL;
  CREATE UNIQUE INDEX tasks_by_delegate_request ON tasks (parent_task_id, delegate_request_id)
    WHERE delegate_request_id IS NOT NULL;
  CREATE INDEX tasks_unnoticed_children ON tasks (position)
    WHERE parent_task_id IS NOT NULL AND parent_notified_at IS NULL;
  `,
  // 4: scheduled jobs and their runs (docs/jobs.md). A run is unique per (job, tick):
  // the claim that inserts it is the one that starts the tick's task, whichever gateway makes it.
  `
  CREATE TABLE jobs (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    cron text NOT NULL,
    time_zone text NOT NULL,
    goal text NOT NULL,
    mode text NOT NULL,
    target_type text NOT NULL,
    target_id text COLLATE "C" NOT NULL,
    delivery text NOT NULL,
    missed_runs text NOT NULL,
    enabled boolean NOT NULL,
    version integer NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  CREATE INDEX jobs_by_target ON jobs (target_type, target_id);
  CREATE TABLE job_runs (
    position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text COLLATE "C" PRIMARY KEY,
    job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    scheduled_for text COLLATE "C" NOT NULL,
    trigger text NOT NULL,
    status text NOT NULL,
    missed_ticks integer,
    task_id text COLLATE "C",
    error text,
    created_at text COLLATE "C" NOT NULL,
    UNIQUE (job_id, scheduled_for)
  );
  `,
  // 5: chat channels (docs/channels.md): channels with sealed secrets, their
  // senders (pairing), conversations, followed tasks, inbound dedupe, the outbound delivery queue
  // and the Telegram poller lease.
  `
  CREATE TABLE channels (
    id text PRIMARY KEY,
    kind text NOT NULL,
    name text NOT NULL,
    config text NOT NULL,
    sealed_secrets text NOT NULL,
    viber_id text,
    environment_id text,
    mode text,
    enabled boolean NOT NULL,
    last_error text,
    last_error_at text,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  CREATE TABLE channel_senders (
    channel_id text NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    sender_id text NOT NULL,
    display_name text NOT NULL,
    status text NOT NULL,
    code_hash text,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY (channel_id, sender_id)
  );
  CREATE INDEX channel_senders_by_code ON channel_senders(code_hash) WHERE code_hash IS NOT NULL;
  CREATE TABLE channel_conversations (
    channel_id text NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    conversation_key text NOT NULL,
    target text NOT NULL,
    task_id text,
    messages text NOT NULL,
    holder text,
    lease_until text,
    updated_at text NOT NULL,
    PRIMARY KEY (channel_id, conversation_key)
  );
  CREATE TABLE channel_follows (
    task_id text PRIMARY KEY,
    channel_id text NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    conversation_key text NOT NULL,
    created_at text NOT NULL,
    finished_at text
  );
  CREATE INDEX channel_follows_open ON channel_follows(created_at) WHERE finished_at IS NULL;
  CREATE TABLE channel_inbound (
    channel_id text NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    event_id text NOT NULL,
    received_at text NOT NULL,
    PRIMARY KEY (channel_id, event_id)
  );
  CREATE INDEX channel_inbound_by_time ON channel_inbound(received_at);
  CREATE TABLE channel_deliveries (
    id text PRIMARY KEY,
    channel_id text NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    dedupe_key text NOT NULL,
    target text NOT NULL,
    message text NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    parts_sent integer NOT NULL DEFAULT 0,
    next_attempt_at text,
    holder text,
    lease_until text,
    last_error text,
    created_at text NOT NULL,
    sent_at text,
    UNIQUE (channel_id, dedupe_key)
  );
  CREATE INDEX channel_deliveries_due ON channel_deliveries(next_attempt_at) WHERE status = 'queued';
  CREATE INDEX channel_deliveries_by_channel ON channel_deliveries(channel_id, created_at);
  CREATE TABLE channel_pollers (
    channel_id text PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    holder text,
    lease_until text,
    update_offset text
  );
  `,
  // 6: the jobs of one target by name (docs/jobs.md, REST): a page after a
  // cursor is a range of this index; it covers what jobs_by_target served.
  `
  CREATE INDEX jobs_by_target_name ON jobs (target_type, target_id, name);
  DROP INDEX jobs_by_target;
  `,
  // 7: an inbound event is kept with its dedupe row until a gateway has
  // acted on it (docs/channels.md, "Answer first"): the platform is answered once it is recorded,
  // and a gateway that died before acting leaves it for another (a lease, as deliveries have).
  `
  ALTER TABLE channel_inbound ADD COLUMN payload text;
  ALTER TABLE channel_inbound ADD COLUMN holder text;
  ALTER TABLE channel_inbound ADD COLUMN lease_until text;
  ALTER TABLE channel_inbound ADD COLUMN attempts integer NOT NULL DEFAULT 0;
  CREATE INDEX channel_inbound_pending ON channel_inbound(received_at) WHERE payload IS NOT NULL;
  `,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** The advisory lock (a key pair of PostgreSQL's) that migrating gateways take in turn. */
export const MIGRATION_LOCK = [0x0bbe_0001, 1] as const;

/**
 * Runs the migrations the database has not seen yet, each in its own transaction, under a
 * session advisory lock: gateways that start at once take turns, and the ones after the first
 * find nothing left to do. A gateway older than the database refuses to run on it. A connection
 * that dies meanwhile takes its lock with it.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS openviber_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)',
      );
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT max(version) AS version FROM openviber_migrations',
      );
      const current = rows[0]?.version ?? 0;
      if (current > MIGRATIONS.length) {
        throw new Error(
          `the gateway database has schema version ${current}; this gateway knows up to ${MIGRATIONS.length}`,
        );
      }
      for (let version = current; version < MIGRATIONS.length; version++) {
        await client.query('BEGIN');
        try {
          await client.query(MIGRATIONS[version]!);
          await client.query(
            `INSERT INTO openviber_migrations (version, applied_at)
              VALUES ($1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
            [version + 1],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]).catch((error: unknown) => {
        broken = error instanceof Error ? error : new Error(String(error));
      });
    }
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(broken);
  }
}
