import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from '../../src/http/idempotency/request-hash.js';
import { seal, unseal } from '../../src/http/idempotency/sealed-response.js';

/** The pure parts of idempotency keys: the request fingerprint a key is bound to, and the sealed stored answer. */
describe('canonicalJson: one text for one request, whatever the key order', () => {
  it.each([
    { value: { b: 1, a: 2 }, text: '{"a":2,"b":1}' },
    { value: { a: { d: [3, { z: 1, y: 2 }], c: null } }, text: '{"a":{"c":null,"d":[3,{"y":2,"z":1}]}}' },
    { value: { a: undefined, b: 'x' }, text: '{"b":"x"}' },
    { value: [undefined, 1], text: '[null,1]' },
    { value: { B: 1, a: 2, _: 3, '10': 4, '9': 5 }, text: '{"10":4,"9":5,"B":1,"_":3,"a":2}' },
    { value: 'text', text: '"text"' },
    { value: null, text: 'null' },
    { value: undefined, text: 'null' },
    { value: 1.5, text: '1.5' },
    { value: {}, text: '{}' },
    { value: [], text: '[]' },
  ])('$text', ({ value, text }) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('keys that sort equal never lose a value, and sorting is by code unit', () => {
    expect(canonicalJson({ 'a"b': 1, ab: 2 })).toBe('{"a\\"b":1,"ab":2}');
    expect(canonicalJson({ é: 1, z: 2 })).toBe('{"z":2,"é":1}');
  });
});

describe('requestHash: SHA-256 over method, URL, account, principal and the canonical body, one per line', () => {
  const base = { method: 'POST', url: '/api/v1/documents', accountId: 'acc', principal: 'tok', body: { b: 1, a: 2 } };
  it('is the digest of exactly those lines', () => {
    const lines = ['POST', '/api/v1/documents', 'acc', 'tok', '{"a":2,"b":1}'].join('\n');
    expect(requestHash(base)).toBe(createHash('sha256').update(lines).digest('hex'));
    expect(requestHash({ ...base, body: { a: 2, b: 1 } })).toBe(requestHash(base));
    expect(requestHash({ ...base, body: undefined })).toBe(createHash('sha256').update(['POST', '/api/v1/documents', 'acc', 'tok', 'null'].join('\n')).digest('hex'));
  });
  it.each(['method', 'url', 'accountId', 'principal'] as const)('a different %s is a different request', (part) => {
    expect(requestHash({ ...base, [part]: 'other' })).not.toBe(requestHash(base));
  });
});

describe('a sealed answer opens only with the credential that sealed it', () => {
  it('round-trips with its credential, in the v1 four-part form, with a fresh IV each time', () => {
    const a = seal('token-1', '{"secret":"s"}');
    const b = seal('token-1', '{"secret":"s"}');
    expect(a.split('.')).toHaveLength(4);
    expect(a.startsWith('v1.')).toBe(true);
    expect(a).not.toBe(b);
    expect(unseal('token-1', a)).toBe('{"secret":"s"}');
    expect(unseal('token-1', b)).toBe('{"secret":"s"}');
  });
  it('another credential, an altered text or a malformed value opens nothing', () => {
    const sealed = seal('token-1', 'plain');
    const [v, iv, tag, data] = sealed.split('.');
    expect(unseal('token-2', sealed)).toBeNull();
    const flipped = Buffer.from(data, 'base64');
    flipped[0] ^= 1;
    expect(unseal('token-1', [v, iv, tag, flipped.toString('base64')].join('.'))).toBeNull();
    expect(unseal('token-1', ['v2', iv, tag, data].join('.'))).toBeNull();
    expect(unseal('token-1', [v, iv, tag].join('.'))).toBeNull();
    expect(unseal('token-1', [v, iv].join('.'))).toBeNull();
    expect(unseal('token-1', v)).toBeNull();
    expect(unseal('token-1', '')).toBeNull();
  });
});
