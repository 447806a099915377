import { describe, expect, it } from 'vitest';
import { isConnectionLost } from '../../src/storage/connection-errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionLost: a database out of reach, not a statement that failed', () => {
  it('counts refused and reset connections, a server shutting down, class 08 and node-postgres own messages', () => {
    for (const e of [
      withCode('ECONNREFUSED'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('08006'),
      withCode('08P01'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated'),
      new Error('Client has encountered a connection error and is not queryable'),
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'),
      new Error('wrapped', { cause: withCode('ECONNRESET') }),
    ]) {
      expect(isConnectionLost(e), String(e)).toBe(true);
    }
  });

  it('counts every network code, every going-away SQLSTATE and every message of node-postgres it lists', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03']) {
      expect(isConnectionLost(withCode(code)), code).toBe(true);
    }
    for (const message of [
      'connection terminated unexpectedly',
      'Client has encountered a connection error and is not queryable',
      'Client was closed and is not queryable',
      'timeout exceeded when trying to connect',
    ]) {
      expect(isConnectionLost(new Error(message)), message).toBe(true);
    }
    // A message is read only when it is a string.
    expect(isConnectionLost({ message: ['Connection terminated'] })).toBe(false);
  });

  it('leaves statement errors, deadlocks and non-errors alone', () => {
    for (const e of [withCode('42P01', 'relation "events" does not exist'), withCode('40P01'), withCode('23505'), withCode('SQLITE_BUSY'), new Error('boom'), null, undefined, 'ECONNREFUSED', 42]) {
      expect(isConnectionLost(e), String(e)).toBe(false);
    }
  });

  it('class 08 is the whole five-character code, not a code that merely contains 08', () => {
    expect(isConnectionLost(withCode('08000'))).toBe(true);
    expect(isConnectionLost(withCode('08000X'))).toBe(false);
    expect(isConnectionLost(withCode('X08000'))).toBe(false);
    expect(isConnectionLost(withCode('22008'))).toBe(false);
  });

  it('an AggregateError counts if any of its errors does; one of statement errors does not', () => {
    expect(isConnectionLost(new AggregateError([withCode('23505'), withCode('ECONNREFUSED')], 'mixed'))).toBe(true);
    expect(isConnectionLost(new AggregateError([withCode('23505'), withCode('42P01')], 'statements'))).toBe(false);
  });

  it('follows causes up to five deep, and a statement error with a lost connection as its cause counts', () => {
    const nested = (depth: number) => {
      let e: Error = withCode('ECONNRESET');
      for (let i = 0; i < depth; i++) e = new Error(`wrap ${i}`, { cause: e });
      return e;
    };
    expect(isConnectionLost(nested(4))).toBe(true);
    expect(isConnectionLost(nested(5))).toBe(false);
    expect(isConnectionLost(new Error('statement', { cause: withCode('42P01') }))).toBe(false);
    // A code that is not a string (a number from some driver) is no reason to stop looking.
    expect(isConnectionLost(Object.assign(new Error('numeric code', { cause: withCode('ECONNREFUSED') }), { code: 7 }))).toBe(true);
    // A cycle of causes ends.
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isConnectionLost(a)).toBe(false);
  });
});
