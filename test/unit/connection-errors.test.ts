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

  it('leaves statement errors, deadlocks and non-errors alone', () => {
    for (const e of [withCode('42P01', 'relation "events" does not exist'), withCode('40P01'), withCode('23505'), withCode('SQLITE_BUSY'), new Error('boom'), null, undefined, 'ECONNREFUSED', 42]) {
      expect(isConnectionLost(e), String(e)).toBe(false);
    }
  });
});
