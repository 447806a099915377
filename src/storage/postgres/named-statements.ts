import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { isPreparedSql } from '../prepared.js';

/**
 * PostgreSQL keeps the hot path's statements (storage/prepared.ts) as named prepared statements,
 * one set per connection: each is parsed and planned once instead of on every run, and parsing
 * and planning are a large part of the server's work for the hot path's short statements
 * (docs/architecture/storage.md). Every other query stays unnamed, so the set of names is bounded
 * by the statements of the code.
 *
 * A prepared plan that selects `*` breaks when a migration adds a column while this process runs
 * (a rolling upgrade): PostgreSQL answers "cached plan must not change result type" (0A000). The
 * connection that saw it is then closed instead of being returned to the pool, so its statements
 * are prepared afresh; the query is run again unnamed, which succeeds outside a transaction, and
 * inside one the transaction runner retries the whole transaction (isStalePlan is retryable).
 */
export function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan');
}

const names = new Map<string, string>();
function nameOf(sql: string): string {
  let n = names.get(sql);
  if (!n) {
    n = `stockhook_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
    names.set(sql, n);
  }
  return n;
}

export function namingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let stale = false;
    const query = async (sql: string, values: unknown[]) => {
      if (!isPreparedSql(sql)) return client.query(sql, values);
      try {
        return await client.query({ name: nameOf(sql), text: sql, values });
      } catch (err) {
        if (!isStalePlan(err)) throw err;
        stale = true;
        try {
          return await client.query(sql, values);
        } catch {
          throw err; // inside a transaction: the runner retries it on a fresh connection
        }
      }
    };
    return {
      // Kysely passes a cursor object for streams; those are never named.
      query: ((sqlOrCursor: unknown, values?: readonly unknown[]) =>
        typeof sqlOrCursor === 'string' ? query(sqlOrCursor, [...(values ?? [])]) : client.query(sqlOrCursor as never)) as unknown as PostgresPoolClient['query'],
      release: () => {
        if (stale) wrapped.delete(client);
        client.release(stale);
      },
    };
  };
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) wrapped.set(client, (w = wrap(client)));
      return w;
    },
    end: () => pool.end(),
  };
}
