import type { DatabaseSync } from 'node:sqlite';

/**
 * Numbered schema migrations; `PRAGMA user_version` records how many ran. Append new ones at the
 * end, never edit one that shipped.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE vibers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    info TEXT,
    status TEXT,
    config_state TEXT,
    connected_at TEXT,
    last_heartbeat_at TEXT
  );
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    viber_id TEXT NOT NULL REFERENCES vibers(id),
    goal TEXT NOT NULL,
    messages TEXT,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    result TEXT,
    usage TEXT,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT
  );
  CREATE INDEX tasks_by_viber_status ON tasks(viber_id, status);
  CREATE INDEX tasks_by_status ON tasks(status);
  CREATE TABLE task_events (
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE task_messages (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    message TEXT NOT NULL,
    injection_mode TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
  );
  CREATE INDEX task_messages_by_task ON task_messages(task_id);
  CREATE TABLE commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL UNIQUE,
    viber_id TEXT NOT NULL,
    task_id TEXT,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX commands_by_viber ON commands(viber_id, seq);
  CREATE INDEX commands_by_task ON commands(task_id);
  CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
  `,
  // 2: board sign-in: one-time login codes and browser sessions, both stored as SHA-256 hashes.
  `
  CREATE TABLE login_codes (
    code_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE TABLE board_sessions (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX board_sessions_by_expiry ON board_sessions(expires_at);
  `,
  // 3: environments (environments document, section 5); secrets only as AES-256-GCM ciphertext.
  `
  CREATE TABLE environments (
    id TEXT PRIMARY KEY,
    user_id TEXT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    repo_url TEXT,
    repo_org TEXT,
    repo_name TEXT,
    repo_branch TEXT,
    local_path TEXT,
    container_image TEXT,
    working_dir TEXT,
    setup_script TEXT,
    setup_timeout_seconds INTEGER NOT NULL,
    network_access INTEGER NOT NULL,
    persist_volume INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE environment_vars (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    is_secret INTEGER NOT NULL DEFAULT 0,
    UNIQUE (environment_id, key)
  );
  CREATE TABLE environment_secrets (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL,
    key TEXT NOT NULL,
    encrypted_value TEXT NOT NULL,
    kms_key_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (environment_id, key)
  );
  CREATE TABLE environment_bindings (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL,
    viber_id TEXT NOT NULL,
    strategy TEXT NOT NULL,
    path TEXT,
    resolved_working_dir TEXT,
    status TEXT NOT NULL,
    generation INTEGER NOT NULL,
    last_prepare_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (environment_id, viber_id)
  );
  CREATE INDEX environment_bindings_by_viber ON environment_bindings(viber_id);
  CREATE TABLE environment_logs (
    binding_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    stream TEXT NOT NULL,
    line TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (binding_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX tasks_by_environment ON tasks(json_extract(options, '$.environmentId'));
  `,
  // 4: a stream chunk's type in its own column, so finding one never parses stored JSON (SQLite's
  // JSON functions throw on a chunk nested deeper than 1,000 levels). The backfill reads the type
  // from the payload's start without a JSON function: the gateway has always stored a chunk as
  // JSON.stringify of its decoded form, which puts `type` first. A type with an escape in it (none
  // is real) is left NULL rather than guessed.
  `
  ALTER TABLE task_events ADD COLUMN chunk_type TEXT;
  UPDATE task_events
    SET chunk_type = substr(payload, 10, instr(substr(payload, 10, 210), '"') - 1)
    WHERE type = 'task:stream-chunk'
      AND substr(payload, 1, 9) = '{"type":"'
      AND instr(substr(payload, 10, 210), '"') > 1
      AND instr(substr(payload, 10, instr(substr(payload, 10, 210), '"') - 1), '\\') = 0;
  `,
  // 5: devices (architecture document, section 7). Credentials move to device_tokens, one device
  // per credential of the token era: each viber's token becomes a keyless node device
  // `viber-<id>` (vibers.token_hash is no longer read), and the operator token a keyless operator
  // device `operator-token` with every scope (its hash is filled in when the gateway starts, from
  // the token file). Login codes say what they pair; board sessions say which device they are.
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    key_id TEXT,
    public_key TEXT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    scopes TEXT NOT NULL,
    status TEXT NOT NULL,
    viber_id TEXT,
    pairing_code TEXT,
    source TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    decided_at TEXT,
    last_seen_at TEXT,
    token_pending INTEGER NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX devices_by_key ON devices(key_id) WHERE key_id IS NOT NULL;
  CREATE TABLE device_tokens (
    token_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
  );
  CREATE INDEX device_tokens_by_device ON device_tokens(device_id);
  INSERT INTO devices (id, name, role, scopes, status, viber_id, created_at, decided_at)
    SELECT 'viber-' || id, name, 'node', '[]',
      CASE WHEN revoked_at IS NULL THEN 'paired' ELSE 'revoked' END, id, created_at, created_at
    FROM vibers;
  INSERT INTO device_tokens (token_hash, device_id, created_at, revoked_at)
    SELECT token_hash, 'viber-' || id, created_at, revoked_at FROM vibers;
  INSERT INTO devices (id, name, role, scopes, status, created_at, decided_at)
    VALUES ('operator-token', 'operator token', 'operator', '["tasks.read","tasks.write","approvals","vibers.admin","terminals.read","terminals.write","environments.write","secrets.write","devices.admin"]', 'paired',
      strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
  ALTER TABLE login_codes ADD COLUMN role TEXT NOT NULL DEFAULT 'operator';
  ALTER TABLE login_codes ADD COLUMN scopes TEXT NOT NULL DEFAULT '["tasks.read","tasks.write","approvals","vibers.admin","terminals.read","terminals.write","environments.write","secrets.write","devices.admin"]';
  ALTER TABLE board_sessions ADD COLUMN device_id TEXT NOT NULL DEFAULT 'operator-token';
  `,
  // 6: keyset pages of every list (store-page.ts): each page is a range on an index in the list's
  // order, never a scan from the start. Tasks page by rowid, which every index on tasks ends in;
  // a viber's tasks needed an index of viber_id alone.
  `
  CREATE INDEX vibers_by_name ON vibers(name COLLATE NOCASE, id) WHERE revoked_at IS NULL;
  CREATE INDEX tasks_by_viber ON tasks(viber_id);
  CREATE INDEX environments_by_name ON environments(name COLLATE NOCASE, id);
  CREATE INDEX devices_by_status ON devices(status, created_at, id);
  `,
  // 7: an environment's MCP servers (docs/mcp.md), as JSON; secrets in it only as references.
  `
  ALTER TABLE environments ADD COLUMN mcp_servers TEXT NOT NULL DEFAULT '[]';
  `,
  // 8: the model settings every viber pulls (docs/settings.md): one row, and the providers' keys
  // sealed under the master key like environment secrets.
  `
  CREATE TABLE model_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    provider TEXT,
    model TEXT,
    base_url TEXT,
    mode TEXT,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE provider_keys (
    provider TEXT PRIMARY KEY,
    encrypted_value TEXT NOT NULL,
    kms_key_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  // 9: the task tree (docs/delegation.md): a child's parent, its tree's root and
  // depth, the delegate call that started it (one child per call), and when its parent heard of its end.
  `
  ALTER TABLE tasks ADD COLUMN parent_task_id TEXT;
  ALTER TABLE tasks ADD COLUMN root_task_id TEXT;
  ALTER TABLE tasks ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE tasks ADD COLUMN delegate_request_id TEXT;
  ALTER TABLE tasks ADD COLUMN parent_notified_at TEXT;
  CREATE INDEX tasks_by_parent ON tasks(parent_task_id) WHERE parent_task_id IS NOT NULL;
  CREATE INDEX tasks_by_root ON tasks(root_task_id) WHERE root_task_id IS NOT NULL;
  CREATE UNIQUE INDEX tasks_by_delegate_request ON tasks(parent_task_id, delegate_request_id)
    WHERE delegate_request_id IS NOT NULL;
  CREATE INDEX tasks_unnoticed_children ON tasks(parent_task_id)
    WHERE parent_task_id IS NOT NULL AND parent_notified_at IS NULL;
  `,
  // 10: scheduled jobs and their runs (docs/jobs.md). A run is unique per (job, tick):
  // the claim that inserts it is the one that starts the tick's task, whichever gateway makes it.
  `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    cron TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    goal TEXT NOT NULL,
    mode TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    delivery TEXT NOT NULL,
    missed_runs TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX jobs_by_target ON jobs(target_type, target_id);
  CREATE TABLE job_runs (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    missed_ticks INTEGER,
    task_id TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (job_id, scheduled_for)
  );
  `,
  // 11: chat channels (docs/channels.md): channels with sealed secrets, their
  // senders (pairing), conversations, followed tasks, inbound dedupe, the outbound delivery queue
  // and the Telegram poller lease.
  `
  CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    sealed_secrets TEXT NOT NULL,
    viber_id TEXT,
    environment_id TEXT,
    mode TEXT,
    enabled INTEGER NOT NULL,
    last_error TEXT,
    last_error_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE channel_senders (
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    sender_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    status TEXT NOT NULL,
    code_hash TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel_id, sender_id)
  );
  CREATE INDEX channel_senders_by_code ON channel_senders(code_hash) WHERE code_hash IS NOT NULL;
  CREATE TABLE channel_conversations (
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    conversation_key TEXT NOT NULL,
    target TEXT NOT NULL,
    task_id TEXT,
    messages TEXT NOT NULL,
    holder TEXT,
    lease_until TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel_id, conversation_key)
  );
  CREATE TABLE channel_follows (
    task_id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    conversation_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE INDEX channel_follows_open ON channel_follows(created_at) WHERE finished_at IS NULL;
  CREATE TABLE channel_inbound (
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel_id, event_id)
  );
  CREATE INDEX channel_inbound_by_time ON channel_inbound(received_at);
  CREATE TABLE channel_deliveries (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    dedupe_key TEXT NOT NULL,
    target TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    parts_sent INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    holder TEXT,
    lease_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (channel_id, dedupe_key)
  );
  CREATE INDEX channel_deliveries_due ON channel_deliveries(next_attempt_at) WHERE status = 'queued';
  CREATE INDEX channel_deliveries_by_channel ON channel_deliveries(channel_id, created_at);
  CREATE TABLE channel_pollers (
    channel_id TEXT PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    holder TEXT,
    lease_until TEXT,
    update_offset TEXT
  );
  `,
  // 12: the jobs of one target by name (docs/jobs.md, REST): a page after a
  // cursor is a range of this index; it covers what jobs_by_target served.
  `
  CREATE INDEX jobs_by_target_name ON jobs(target_type, target_id, name);
  DROP INDEX jobs_by_target;
  `,
  // 13: an inbound event is kept with its dedupe row until a gateway has
  // acted on it (docs/channels.md, "Answer first"): the platform is answered once it is recorded,
  // and a gateway that died before acting leaves it for another (a lease, as deliveries have).
  `
  ALTER TABLE channel_inbound ADD COLUMN payload TEXT;
  ALTER TABLE channel_inbound ADD COLUMN holder TEXT;
  ALTER TABLE channel_inbound ADD COLUMN lease_until TEXT;
  ALTER TABLE channel_inbound ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX channel_inbound_pending ON channel_inbound(received_at) WHERE payload IS NOT NULL;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Runs the migrations the database has not seen yet, each in its own transaction; up to `target`
 * (tests build the database an older gateway left behind).
 */
export function migrate(db: DatabaseSync, target: number = MIGRATIONS.length): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const current = row.user_version;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the gateway database has schema version ${current}; this gateway knows up to ${MIGRATIONS.length}`,
    );
  }
  for (let version = current; version < target; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}
