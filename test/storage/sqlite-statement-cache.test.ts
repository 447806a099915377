import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/storage/sqlite/statement-cache.js';

/**
 * SQLite's statement cache (storage/sqlite/statement-cache.ts): a statement prepared once is handed
 * out again for the same SQL text, and the cache holds at most `size` of them, dropping the one
 * used longest ago. A statement handed out again is the same object; one prepared afresh is not.
 */
describe('the SQLite statement cache', () => {
  const open = (size?: number) => {
    const db = new SQLite(':memory:');
    return { db, cache: withStatementCache(db, size) };
  };
  const prepare = (cache: ReturnType<typeof withStatementCache>, n: number) => cache.prepare(`select ${n} as n`);

  it('hands out the same statement for the same text, and it runs', () => {
    const { db, cache } = open();
    const first = prepare(cache, 1);
    expect(prepare(cache, 1)).toBe(first);
    expect(prepare(cache, 2)).not.toBe(first);
    expect((first as unknown as SQLite.Statement).get()).toEqual({ n: 1 });
    db.close();
  });

  it('holds at most `size` statements and drops the one used longest ago, not the one prepared first', () => {
    const { db, cache } = open(2);
    const one = prepare(cache, 1);
    const two = prepare(cache, 2);
    // Using 1 again makes 2 the one used longest ago.
    expect(prepare(cache, 1)).toBe(one);
    const three = prepare(cache, 3);
    // 1 and 3 are held: both come back as they were.
    expect(prepare(cache, 1)).toBe(one);
    expect(prepare(cache, 3)).toBe(three);
    // 2 was dropped: a new statement, which drops 1 (used before 3).
    const twoAgain = prepare(cache, 2);
    expect(twoAgain).not.toBe(two);
    expect(prepare(cache, 3)).toBe(three);
    expect(prepare(cache, 2)).toBe(twoAgain);
    expect(prepare(cache, 1)).not.toBe(one);
    db.close();
  });

  it('a size of one keeps only the last statement', () => {
    const { db, cache } = open(1);
    const one = prepare(cache, 1);
    expect(prepare(cache, 1)).toBe(one);
    const two = prepare(cache, 2);
    expect(prepare(cache, 2)).toBe(two);
    expect(prepare(cache, 1)).not.toBe(one);
    db.close();
  });

  it('holds 500 statements by default: the 501st drops the first and keeps the second', () => {
    const { db, cache } = open();
    const held = Array.from({ length: 500 }, (_, i) => prepare(cache, i));
    expect(prepare(cache, 499)).toBe(held[499]);
    prepare(cache, 500);
    expect(prepare(cache, 1)).toBe(held[1]);
    expect(prepare(cache, 0)).not.toBe(held[0]);
    db.close();
  });

  it('closing closes the database', () => {
    const { db, cache } = open();
    prepare(cache, 1);
    cache.close();
    expect(db.open).toBe(false);
  });
});
