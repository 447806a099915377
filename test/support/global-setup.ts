import pg from 'pg';
import type { TestProject } from 'vitest/node';

/**
 * Decides once which databases the storage suites run against.
 * STOCKHOOK_TEST_DBS=sqlite,postgres picks them (default: both, PostgreSQL only where reachable);
 * STOCKHOOK_TEST_REQUIRE_PG=1 (CI) makes an unreachable PostgreSQL a failure instead of a skip.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.STOCKHOOK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const wanted = (process.env.STOCKHOOK_TEST_DBS ?? 'sqlite,postgres').split(',').map((s) => s.trim());
  const require = process.env.STOCKHOOK_TEST_REQUIRE_PG === '1';
  const dbs: string[] = [];
  if (wanted.includes('sqlite')) dbs.push('sqlite');
  if (wanted.includes('postgres')) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      dbs.push('postgres');
    } catch (err) {
      if (require) throw new Error(`PostgreSQL is required (STOCKHOOK_TEST_REQUIRE_PG=1) but ${url} is unreachable: ${String(err)}`);
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
