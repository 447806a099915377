import { describe, expect, it } from 'vitest';
import { prettyMessage } from '../../src/log.js';

/* A pretty record is one line: its message, its error's type, message and code, then its log code. */
describe('prettyMessage', () => {
  it('message and code', () => {
    expect(prettyMessage({ msg: 'deliveries to https://x.test/h resumed', code: 'breaker.resumed' }, 'msg')).toBe('deliveries to https://x.test/h resumed [breaker.resumed]');
    expect(prettyMessage({ msg: 'plain' }, 'msg')).toBe('plain');
  });

  it('an error on the same line, without its stack, and never a line break', () => {
    const err = { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432\n    more', stack: 'Error: connect\n    at x (y.js:1:1)', code: 'ECONNREFUSED' };
    const text = prettyMessage({ msg: 'PostgreSQL pool:\nan idle connection failed', err }, 'msg');
    expect(text).toBe('PostgreSQL pool: an idle connection failed: Error: connect ECONNREFUSED 127.0.0.1:5432 more (ECONNREFUSED)');
    expect(prettyMessage({ msg: 'shutdown failed', code: 'server.stop_failed', err: { message: 'boom' } }, 'msg')).toBe('shutdown failed: Error: boom [server.stop_failed]');
  });
});
