import pg from 'pg';
import type { TestProject } from 'vitest/node';

export interface DatabaseChoice {
  /** The databases asked for, in order. */
  wanted: Array<'sqlite' | 'postgres'>;
  /** An unreachable PostgreSQL is a failure, not a skip. */
  requirePostgres: boolean;
  pgUrl: string;
}

/**
 * Reads the environment once. STOCKHOOK_TEST_REQUIRE_PG=1 is how CI runs (.ci/run sets it), and it
 * is read first: in CI every suite runs on both databases, so a STOCKHOOK_TEST_DBS that leaves one
 * out is refused here instead of quietly narrowing the run to SQLite and passing.
 */
export function chooseDatabases(env: NodeJS.ProcessEnv): DatabaseChoice {
  const pgUrl = env.STOCKHOOK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const requirePostgres = env.STOCKHOOK_TEST_REQUIRE_PG === '1';
  const listed = (env.STOCKHOOK_TEST_DBS ?? 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = listed.filter((d) => d !== 'sqlite' && d !== 'postgres');
  if (unknown.length > 0) throw new Error(`STOCKHOOK_TEST_DBS: unknown database ${unknown.join(', ')} (sqlite, postgres)`);
  const wanted = (['sqlite', 'postgres'] as const).filter((d) => listed.includes(d));
  if (requirePostgres && wanted.length < 2) {
    throw new Error(
      `STOCKHOOK_TEST_REQUIRE_PG=1 (CI) runs every suite on SQLite and PostgreSQL, but STOCKHOOK_TEST_DBS=${env.STOCKHOOK_TEST_DBS} ` +
        'leaves one out: unset STOCKHOOK_TEST_DBS',
    );
  }
  if (wanted.length === 0) throw new Error('STOCKHOOK_TEST_DBS names no database (sqlite, postgres)');
  return { wanted, requirePostgres, pgUrl };
}

/**
 * Decides once which databases the storage suites run against.
 * STOCKHOOK_TEST_DBS=sqlite,postgres picks them (default: both, PostgreSQL only where reachable);
 * STOCKHOOK_TEST_REQUIRE_PG=1 (CI) makes an unreachable PostgreSQL a failure instead of a skip,
 * and refuses a STOCKHOOK_TEST_DBS without both.
 */
export default async function setup(project: TestProject): Promise<void> {
  const { wanted, requirePostgres, pgUrl: url } = chooseDatabases(process.env);
  const dbs: string[] = [];
  if (wanted.includes('sqlite')) dbs.push('sqlite');
  if (wanted.includes('postgres')) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      dbs.push('postgres');
    } catch (err) {
      if (requirePostgres) throw new Error(`PostgreSQL is required (STOCKHOOK_TEST_REQUIRE_PG=1) but ${url} is unreachable: ${String(err)}`);
      console.warn(`PostgreSQL at ${url} is unreachable: its suites are skipped`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  project.provide('databases', dbs);
  project.provide('pgUrl', url);
}

declare module 'vitest' {
  export interface ProvidedContext {
    databases: string[];
    pgUrl: string;
  }
}
