import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver calls better-sqlite3's prepare() for every query, and preparing costs
 * about as much as running a short statement. better-sqlite3
 * statements are reusable, so keep the most recently used ones by SQL text. Kysely runs them with
 * all()/run() synchronously, so a cached statement is never busy when it is handed out again
 * (streaming, which iterates, is not used by stockhook).
 */
export function withStatementCache(db: SQLite.Database, size = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        // Map keeps insertion order: re-inserting marks it most recently used.
        cache.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, stmt);
      return stmt as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}
