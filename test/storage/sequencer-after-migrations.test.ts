import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase } from '../support/env.js';
import { eventually } from '../support/wait.js';

const hasPostgres = (inject('databases') as string[]).includes('postgres');
/** kysely's migration lock (PostgresAdapter.acquireMigrationLock): holding it holds a start in its migrations. */
const MIGRATION_LOCK = '3853314791062309107';
const ADMIN = 'sequencer-admin-token-0123456789abcdef0123456789';

/**
 * PostgreSQL numbers events after commit (storage/postgres/event-sequencer.ts), on a poll every second. On a
 * fresh database that poll must not run before the migrations made the events table: it logged a
 * level-50 `relation "events" does not exist` on 2 of 4 first starts. The test holds the migrations
 * back (it holds their lock) until PostgreSQL has seen the start wait on it for 3 s, three of the
 * poll's periods, so a poll started before the migrations would have run meanwhile.
 */
(hasPostgres ? describe : describe.skip)('the event sequencer on a fresh PostgreSQL database', () => {
  const children: Child[] = [];
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    await killAll(children);
    for (const c of cleanup.reverse()) await c();
  }, 30_000);

  it('does not run before the migrations: no `relation "events" does not exist` in the log', { timeout: 600_000 }, async () => {
    const fresh = await freshDatabase('postgres');
    cleanup.push(fresh.drop);
    const lock = new pg.Client({ connectionString: fresh.url });
    await lock.connect();
    cleanup.push(() => lock.end());
    await lock.query(`select pg_advisory_lock(${MIGRATION_LOCK})`);

    const starting = startCli(['serve', '--db', fresh.url, '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: ADMIN, STOCKHOOK_LOG_LEVEL: 'warn' });
    starting.then((c) => children.push(c), () => {});
    // PostgreSQL's own account of the start waiting on the lock, for 3 s of the database's clock.
    await eventually(async () => {
      const { rows } = await lock.query<{ n: string }>(
        `select count(*) as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and not l.granted and a.datname = current_database() and now() - a.query_start >= interval '3 seconds'`,
      );
      return Number(rows[0].n) > 0;
    }, 60_000, 50, 'the start waiting 3 s for the migration lock');
    await lock.query(`select pg_advisory_unlock(${MIGRATION_LOCK})`);

    const c = await starting;
    // A write, numbered by the sequencer: it runs, and on the schema the migrations made.
    await api(c.url, ADMIN, 'POST', '/api/v1/accounts', { name: 'Fresh', plan: 'paid' }, 201);
    c.proc.kill('SIGTERM');
    expect((await c.closed).code).toBe(0);
    const log = c.stdout() + c.stderr();
    expect(log).not.toContain('does not exist');
    expect(log).not.toContain('numbering events failed');
  });
});
