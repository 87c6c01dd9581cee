import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from '../store-page.ts';
import { type Params, type Row, SqliteDatabase } from './sqlite-database.ts';
import { sqliteDevices } from './sqlite-devices.ts';
import { sqliteEnvironments } from './sqlite-environments.ts';
import { sqliteJobs } from './sqlite-jobs.ts';
import { migrate } from './sqlite-migrations.ts';
import { sqliteTasks } from './sqlite-tasks.ts';
import { sqliteVibers } from './sqlite-vibers.ts';

// A page after a cursor is a range on an index in the list's order (migration 6), read from the
// cursor on: never a scan from the start of the list, never a sort of the whole list. Checked on
// the statements the store actually runs, with SQLite's own query plan.

/** The database, noting every SELECT the store runs with its parameters. */
class NotingDatabase extends SqliteDatabase {
  readonly selects: { sql: string; params: Params }[] = [];

  override all(sql: string, params: Params = {}): Row[] {
    if (/^\s*SELECT/i.test(sql)) this.selects.push({ sql, params });
    return super.all(sql, params);
  }

  plan({ sql, params }: { sql: string; params: Params }): string {
    return (this.connection.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[])
      .map((row) => row.detail)
      .join(' | ');
  }
}

let db: NotingDatabase | undefined;
afterEach(() => db?.close());

/** The plan of each statement `read` runs, on an empty database with every migration. */
async function plansOf(read: (db: NotingDatabase) => Promise<Page<unknown, unknown>>): Promise<string[]> {
  db = new NotingDatabase(':memory:', () => {});
  migrate(db.connection);
  await read(db);
  return db.selects.map((select) => db!.plan(select));
}

describe('keyset pages on SQLite', () => {
  it('reads each list after a cursor as a range on its index, in its order', async () => {
    expect(
      await plansOf((db) => sqliteVibers(db).viberPage({ limit: 50, after: ['name', 'viber_x'] })),
    ).toEqual([
      expect.stringMatching(/^SEARCH vibers USING INDEX vibers_by_name \(\(name,id\)>\(\?,\?\)\)$/),
    ]);
    expect(await plansOf((db) => sqliteTasks(db).taskPage({ limit: 50, after: [10] }))).toEqual([
      'SEARCH tasks USING INTEGER PRIMARY KEY (rowid<?)',
    ]);
    expect(
      await plansOf((db) => sqliteTasks(db).taskPage({ limit: 50, after: [10], viberId: 'viber_x' })),
    ).toEqual(['SEARCH tasks USING INDEX tasks_by_viber (viber_id=? AND rowid<?)']);
    expect(
      await plansOf((db) => sqliteTasks(db).taskPage({ limit: 50, after: [10], status: 'running' })),
    ).toEqual(['SEARCH tasks USING INDEX tasks_by_status (status=? AND rowid<?)']);
    expect(
      await plansOf((db) =>
        sqliteTasks(db).taskPage({ limit: 50, after: [10], viberId: 'viber_x', status: 'running' }),
      ),
    ).toEqual(['SEARCH tasks USING INDEX tasks_by_viber_status (viber_id=? AND status=? AND rowid<?)']);
    expect(
      await plansOf((db) =>
        sqliteTasks(db).taskPage({ limit: 50, after: [10], environmentId: 'environment_x' }),
      ),
    ).toEqual(['SEARCH tasks USING INDEX tasks_by_environment (<expr>=? AND rowid<?)']);
    expect(
      await plansOf((db) =>
        sqliteEnvironments(db).environmentPage({ limit: 50, after: ['web', 'environment_x'] }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^SEARCH environments USING INDEX environments_by_name \(\(name,id\)>\(\?,\?\)\)$/,
      ),
    ]);
    // Devices: from the cursor's section on, each section a range of devices_by_status.
    const devices = await plansOf((db) =>
      sqliteDevices(db).devicePage({ limit: 50, after: [0, '2030-01-01T00:00:00.000Z', 'device_x'] }),
    );
    expect(devices).toEqual([
      'SEARCH devices USING INDEX devices_by_status (status=? AND (created_at,id)<(?,?))',
      'SEARCH devices USING INDEX devices_by_status (status=?)',
      'SEARCH devices USING INDEX devices_by_status (status=?)',
    ]);
    for (const plan of devices) expect(plan).not.toContain('TEMP B-TREE');
  });

  it("reads the jobs and a job's runs after a cursor as a range of their indexes (issue 18)", async () => {
    expect(await plansOf((db) => sqliteJobs(db).jobPage({ limit: 50, after: ['nightly'] }))).toEqual([
      expect.stringMatching(/^SEARCH jobs USING INDEX sqlite_autoindex_jobs_\d \(name>\?\)$/),
    ]);
    expect(
      await plansOf((db) =>
        sqliteJobs(db).jobPage({
          limit: 50,
          after: ['nightly'],
          targetType: 'environment',
          targetId: 'env_x',
        }),
      ),
    ).toEqual(['SEARCH jobs USING INDEX jobs_by_target_name (target_type=? AND target_id=? AND name>?)']);
    const runs = await plansOf((db) =>
      sqliteJobs(db).jobRunPage('job_x', { limit: 50, after: ['2030-01-01T00:00:00.000Z'] }),
    );
    expect(runs[0]).toMatch(
      /^SEARCH r USING INDEX sqlite_autoindex_job_runs_\d \(job_id=\? AND scheduled_for<\?\) \| SEARCH t USING INDEX sqlite_autoindex_tasks_1 \(id=\?\)/,
    );
    expect(runs[0]).not.toContain('TEMP B-TREE');
  });
});
