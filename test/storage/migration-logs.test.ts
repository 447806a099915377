import { describe, expect, inject, it } from 'vitest';
import { openStore } from '../../src/storage/database.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { LEVEL, recordingLogger } from '../support/log-records.js';

/*
 * Migrations are logged (docs/operations/metrics-and-logs.md): a start with work to do says how many
 * migrations it runs, at its start and at its end; a start with none says so only at debug.
 */
for (const db of inject('databases') as DbName[]) {
  describe(`migration log records [${db}]`, () => {
    it('migration.start and migration.end with counts on a new database; migration.current at debug once it is current', async () => {
      const fresh = await freshDatabase(db);
      try {
        const first = recordingLogger();
        const before = performance.now();
        const store = await openStore(fresh.url, { events: first.logger });
        const opening = performance.now() - before;
        const ran = await store.db.selectFrom('stockhook_migrations' as never).select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        const total = Number((ran as { n: number }).n);
        expect(total).toBeGreaterThanOrEqual(19);
        await store.close();
        expect(first.records.filter((r) => String(r.code).startsWith('migration.'))).toMatchObject([
          { level: LEVEL.info, code: 'migration.start', pending: total, applied: 0, msg: `migrating the database: ${total} of ${total} migrations to run` },
          { level: LEVEL.info, code: 'migration.end', ran: total, total, ms: expect.any(Number) },
        ]);
        const end = first.withCode('migration.end')[0];
        expect((end.migrations as string[]).length).toBe(total);
        expect((end.migrations as string[])[0]).toBe('001-ledger');
        // A duration in whole milliseconds, within the open that ran it, and said in the message too.
        expect(Number.isInteger(end.ms) && (end.ms as number) >= 0 && (end.ms as number) <= Math.ceil(opening)).toBe(true);
        expect(end.msg).toBe(`migrated the database: ${total} migrations in ${end.ms as number} ms`);

        const second = recordingLogger();
        const again = await openStore(fresh.url, { events: second.logger });
        await again.close();
        expect(second.records.filter((r) => String(r.code).startsWith('migration.'))).toMatchObject([
          { level: LEVEL.debug, code: 'migration.current', total, msg: `the database schema is current (${total} migrations)` },
        ]);
      } finally {
        await fresh.drop();
      }
    });
  });
}
