import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isConnectionLost } from '../../src/storage/connection-errors.js';
import type { Db } from '../../src/storage/db.js';
import { openStore } from '../../src/storage/database.js';
import { waitForDatabase, type WaitClock } from '../../src/storage/postgres/open.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Opening a PostgreSQL store that is not up yet (storage/postgres/open.ts, waitForDatabase), in this
 * process: the database sits behind a proxy of the test's that refuses connections (closes each on
 * arrival, as a database that is still starting does) until the test lets them through. The wait's
 * own clock is the test's: each sleep advances it by exactly what was asked and returns at once, so
 * the steps and the seconds each log line counts down are exact values, not timing.
 */
if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: waiting for the database at start (in-process)', () => {
    const pgUrl = inject('pgUrl');
    const real = new URL(pgUrl);
    let proxy: TcpProxy;
    const opened: Array<{ destroy(): Promise<void> }> = [];
    beforeAll(async () => {
      proxy = await TcpProxy.start({ host: real.hostname, port: Number(real.port || 5432) });
    });
    afterAll(async () => {
      for (const d of opened) await d.destroy();
      await proxy.close();
    });

    /** A Kysely on one connection at a time through the proxy (or to `url`). */
    const database = (url = proxy.url(pgUrl)): Db => {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      // A later test's refuse() cuts this pool's idle connection: not an error of the test.
      pool.on('error', () => {});
      const db = new Kysely({ dialect: new PostgresDialect({ pool }) }) as Db;
      opened.push(db);
      return db;
    };
    /** The test's clock: sleeps are recorded, advance it, and run `onSleep` (which may open the proxy). */
    const testClock = (onSleep: (n: number) => void = () => {}) => {
      const state = { now: 50_000, sleeps: [] as number[] };
      const clock: WaitClock = {
        now: () => state.now,
        sleep: async (ms) => {
          state.sleeps.push(ms);
          if (state.sleeps.length > 10) throw new Error('the wait did not stop at its deadline');
          state.now += ms;
          onSleep(state.sleeps.length);
        },
      };
      return { clock, state };
    };
    const waiting = (attempt: number, seconds: number) =>
      `PostgreSQL: waiting for the database to accept connections (attempt ${attempt}, giving up in ${seconds} s)`;

    it('a database that stays away: a try every second until the deadline, the last step cut to what is left, then its error', async () => {
      proxy.refuse();
      const refusedBefore = proxy.refused;
      const { clock, state } = testClock();
      const logged: Array<[string, boolean]> = [];
      const failure = await waitForDatabase(database(), 2_500, (msg, err) => logged.push([msg, isConnectionLost(err)]), clock).then(
        () => null,
        (err: unknown) => err,
      );
      expect(isConnectionLost(failure)).toBe(true);
      expect(state.sleeps).toEqual([1_000, 1_000, 500]);
      expect(logged).toEqual([
        [waiting(1, 3), true],
        [waiting(2, 2), true],
        [waiting(3, 1), true],
      ]);
      expect(proxy.refused - refusedBefore).toBe(4);
    });

    it('a database that comes up: connected on the try after it accepts, and says after how many', async () => {
      proxy.refuse();
      const { clock, state } = testClock((n) => {
        if (n === 2) proxy.accept();
      });
      const logged: string[] = [];
      await waitForDatabase(database(), 60_000, (msg) => logged.push(msg), clock);
      expect(state.sleeps).toEqual([1_000, 1_000]);
      expect(logged).toEqual([waiting(1, 60), waiting(2, 59), 'PostgreSQL: connected after 3 attempts']);
    });

    it('a database that is up at once: no wait and nothing logged', async () => {
      proxy.accept();
      const { clock, state } = testClock();
      const logged: string[] = [];
      await waitForDatabase(database(), 60_000, (msg) => logged.push(msg), clock);
      expect([state.sleeps, logged]).toEqual([[], []]);
    });

    it('an error that is not about reaching the database (no such database) fails at once, however long the wait', async () => {
      const missing = new URL(pgUrl);
      missing.pathname = '/stockhook_no_such_database';
      const { clock, state } = testClock();
      const logged: string[] = [];
      await expect(waitForDatabase(database(missing.toString()), 60_000, (msg) => logged.push(msg), clock)).rejects.toMatchObject({ code: '3D000' });
      expect([state.sleeps, logged]).toEqual([[], []]);
    });

    it('openStore: without waitMs the first refusal fails the open; with it, the store opens once the database accepts', async () => {
      const fresh = await freshDatabase('postgres');
      try {
        proxy.refuse();
        const refusedBefore = proxy.refused;
        const logged: string[] = [];
        const failure = await openStore(proxy.url(fresh.url), { log: (msg) => logged.push(msg) }).then(
          async (s) => (await s.close(), null),
          (err: unknown) => err,
        );
        expect(isConnectionLost(failure)).toBe(true);
        expect([proxy.refused - refusedBefore, logged]).toEqual([1, []]);

        const waited: string[] = [];
        const store = await openStore(proxy.url(fresh.url), {
          waitMs: 60_000,
          log: (msg) => {
            waited.push(msg);
            // The first failure is logged before the wait's sleep: the next try finds the database up.
            if (msg.startsWith('PostgreSQL: waiting')) proxy.accept();
          },
        });
        try {
          // The seconds left are the real clock's here (the exact countdown is checked above).
          expect(waited).toHaveLength(2);
          expect(waited[0]).toMatch(/^PostgreSQL: waiting for the database to accept connections \(attempt 1, giving up in \d+ s\)$/);
          expect(waited[1]).toBe('PostgreSQL: connected after 2 attempts');
          // Opened and migrated: the schema is there.
          expect((await store.db.selectFrom('accounts').select('id').execute()).length).toBe(0);
        } finally {
          await store.close();
        }
      } finally {
        proxy.accept();
        await fresh.drop();
      }
    });
  });
}
