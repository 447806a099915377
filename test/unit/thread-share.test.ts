import { describe, expect, it } from 'vitest';
import { opensInOtherThreads, shareBetweenThreads } from '../../src/storage/threads.js';

describe('what the threads of one process share about their database', () => {
  it('SQLite files share a write turn of their own (two 32-bit cells); PostgreSQL shares nothing', () => {
    const a = shareBetweenThreads('data/x.db');
    const b = shareBetweenThreads('data/x.db');
    expect(a.writeTurn).toBeInstanceOf(SharedArrayBuffer);
    expect(a.writeTurn?.byteLength).toBe(8);
    expect(a.writeTurn).not.toBe(b.writeTurn);
    expect(shareBetweenThreads('postgres://db/x')).toEqual({});
    expect(shareBetweenThreads('postgresql://db/x')).toEqual({});
  });

  it('an in-memory SQLite database exists on one connection only: no second thread opens it', () => {
    expect(opensInOtherThreads(':memory:')).toBe(false);
    expect(opensInOtherThreads('data/x.db')).toBe(true);
    expect(opensInOtherThreads('postgres://db/x')).toBe(true);
  });
});
