import { describe, expect, it } from 'vitest';
import { classify, type ErrorKind } from '../../src/delivery/sender.js';
import { BlockedTargetError } from '../../src/webhooks/targets.js';

/**
 * How a failed attempt is named in the delivery log (error_kind): an operator reads "refused",
 * "dns" or "tls" there to know what to fix, so each of undici's, the resolver's and the deadline's
 * errors must land in its own kind, whether the code is on the error or on its cause.
 */
const coded = (code: string, message = 'failed'): Error & { code: string } => Object.assign(new Error(message), { code });
const named = (name: string): Error => Object.assign(new Error('aborted'), { name });
const caused = (cause: unknown): Error => new Error('fetch failed', { cause });

describe('the kind of a failed attempt', () => {
  it.each<[string, Error, ErrorKind]>([
    ['the deadline (AbortSignal.timeout)', named('TimeoutError'), 'timeout'],
    ['an aborted request', named('AbortError'), 'timeout'],
    ["undici's headers timeout", coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ["undici's connect timeout, on the cause", caused(coded('UND_ERR_CONNECT_TIMEOUT')), 'timeout'],
    ['connection refused', coded('ECONNREFUSED'), 'refused'],
    ['connection refused, on the cause', caused(coded('ECONNREFUSED')), 'refused'],
    ['connection reset', coded('ECONNRESET'), 'reset'],
    ['broken pipe', coded('EPIPE'), 'reset'],
    ["undici's socket error", coded('UND_ERR_SOCKET'), 'reset'],
    ["undici's closed client", coded('UND_ERR_CLOSED'), 'reset'],
    ['no such host', coded('ENOTFOUND'), 'dns'],
    ['the resolver, try again', coded('EAI_AGAIN'), 'dns'],
    ['the resolver, no name', coded('EAI_NONAME'), 'dns'],
    ['an expired certificate', coded('CERT_HAS_EXPIRED'), 'tls'],
    ['an SSL error code', coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'],
    ['a certificate named only in the message', new Error('self-signed certificate in certificate chain'), 'tls'],
    ['a target the resolver blocked', new BlockedTargetError('h resolves to a non-public address'), 'blocked'],
    ['a blocked target, on the cause', caused(new BlockedTargetError('h resolves to a non-public address')), 'blocked'],
    ['the blocked code alone', coded('TARGET_BLOCKED'), 'blocked'],
    ['anything else', coded('EHOSTUNREACH'), 'other'],
    ['no code at all', new Error('something broke'), 'other'],
  ])('%s', (_name, err, kind) => {
    expect(classify(err)).toBe(kind);
  });
});
