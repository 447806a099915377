import { afterAll, beforeAll, describe, inject } from 'vitest';
import type { DbName } from './env.js';
import { findPgBouncer, startPgBouncer, type PgBouncer } from './pgbouncer.js';

/**
 * Registers a suite that runs through a real PgBouncer in transaction mode, when PostgreSQL is
 * among the test databases. Where PgBouncer is not installed the suite is skipped with a line,
 * except in CI (STOCKHOOK_TEST_REQUIRE_PG=1 or CI set; .ci/run installs it): there it runs and
 * fails at its start, saying that pgbouncer is missing.
 */
export function describeThroughPgBouncer(name: string, body: (bouncer: () => PgBouncer) => void): void {
  if (!(inject('databases') as DbName[]).includes('postgres')) return;
  const required = process.env.STOCKHOOK_TEST_REQUIRE_PG === '1' || Boolean(process.env.CI);
  if (!required && findPgBouncer() === null) {
    console.warn(`${name}: skipped, pgbouncer is not installed (apt-get install pgbouncer)`);
    describe.skip(name, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let bouncer: PgBouncer | undefined;
    beforeAll(async () => {
      // Four server connections for processes that open ten each: the pooler hands one server
      // connection to many clients' transactions in turn, which is what breaks session state.
      bouncer = await startPgBouncer({ serverUrl: inject('pgUrl'), poolSize: 4 });
    }, 60_000);
    afterAll(async () => {
      await bouncer?.stop();
    });
    body(() => {
      if (!bouncer) throw new Error('pgbouncer did not start');
      return bouncer;
    });
  });
}
