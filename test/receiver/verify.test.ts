import { createHash, createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/receiver/index.js';

const body = '{"opr_code":"0","title":"1,0 mm Düse"}';

describe('receiver verify()', () => {
  it('native: accepts what the standardwebhooks package signs, refuses tampering, stale timestamps and other secrets', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const wh = new Webhook(secret);
    const now = Date.now();
    const id = 'msg_1';
    const signature = wh.sign(id, new Date(now), body);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now / 1000)), 'webhook-signature': signature };
    expect(verify('native', { headers, body, secret })).toEqual({ valid: true });
    expect(verify('marketplace', { headers: new Headers(headers), body: Buffer.from(body), secret })).toEqual({ valid: true });
    expect(verify('native', { headers, body: body.replace('0', '1'), secret }).valid).toBe(false);
    expect(verify('native', { headers, body, secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }).valid).toBe(false);
    expect(verify('native', { headers, body, secret, now: now + 301_000 })).toEqual({ valid: false, reason: 'webhook-timestamp is outside the tolerance' });
    expect(verify('native', { headers, body, secret, now: now + 301_000, toleranceSeconds: 600 }).valid).toBe(true);
    // Several signatures during a rotation: any match is enough.
    const both = { ...headers, 'webhook-signature': `v1,bm90LWl0 ${signature}` };
    expect(verify('native', { headers: both, body, secret }).valid).toBe(true);
    expect(verify('native', { headers: { 'webhook-id': id }, body, secret }).valid).toBe(false);
  });

  it('a list of secrets: a request signed with any one of them verifies, for every format; an empty list verifies nothing', () => {
    const mk = (secret: string) => createHmac('sha1', secret).update(Buffer.from(body, 'utf8')).digest('base64');
    const headers = { 'X-MetaKocka-Signature': mk('old-secret') };
    expect(verify('metakocka', { headers, body, secret: ['new-secret', 'old-secret'] })).toEqual({ valid: true });
    expect(verify('metakocka', { headers, body, secret: ['new-secret', 'other'] }).valid).toBe(false);
    expect(verify('metakocka', { headers, body, secret: [] })).toEqual({ valid: false, reason: 'no secret to verify with' });
    const wh = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const now = Date.now();
    const std = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(Math.floor(now / 1000)), 'webhook-signature': wh.sign('msg_2', new Date(now), body) };
    expect(verify('native', { headers: std, body, secret: ['whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] }).valid).toBe(true);
    expect(verify('native', { headers: std, body, secret: ['whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'] }).valid).toBe(false);
  });

  it('metakocka: Base64(HMAC-SHA1(client_secret, body bytes))', () => {
    const sig = createHmac('sha1', 'client-secret').update(Buffer.from(body, 'utf8')).digest('base64');
    expect(verify('metakocka', { headers: { 'X-MetaKocka-Signature': sig }, body, secret: 'client-secret' }).valid).toBe(true);
    expect(verify('metakocka', { headers: { 'x-metakocka-signature': sig }, body, secret: 'other' }).valid).toBe(false);
    expect(verify('metakocka', { headers: {}, body, secret: 'client-secret' })).toEqual({ valid: false, reason: 'missing X-MetaKocka-Signature' });
  });

  it('cyclesoftware: hex(HMAC-SHA256(secret, body bytes))', () => {
    const sig = createHmac('sha256', 's3cret').update(body).digest('hex');
    expect(verify('cyclesoftware', { headers: { 'X-CycleSoftware-Signature': sig }, body, secret: 's3cret' }).valid).toBe(true);
    expect(verify('cyclesoftware', { headers: { 'X-CycleSoftware-Signature': sig.toUpperCase() }, body, secret: 's3cret' }).valid).toBe(true);
    expect(verify('cyclesoftware', { headers: { 'X-CycleSoftware-Signature': sig }, body: `${body} `, secret: 's3cret' }).valid).toBe(false);
  });

  it('poster: md5 of account;object;object_id;action;[data;]time;secret', () => {
    const secret = 'fe2bc8e865d8fc2236968ee53c3b2bd5';
    const withData = { account: 'api-demo', account_number: '813932', object: 'stock', object_id: 7, action: 'changed', time: '1518794257', data: '{"type":2,"element_id":7}' };
    const v1 = createHash('md5').update(`api-demo;stock;7;changed;${withData.data};1518794257;${secret}`).digest('hex');
    expect(verify('poster', { headers: {}, body: JSON.stringify({ ...withData, verify: v1 }), secret }).valid).toBe(true);
    const noData = { account: 'api-demo', account_number: '813932', object: 'transaction', object_id: 1, action: 'added', time: '1518794257' };
    const v2 = createHash('md5').update(`api-demo;transaction;1;added;1518794257;${secret}`).digest('hex');
    expect(verify('poster', { headers: {}, body: JSON.stringify({ ...noData, verify: v2 }), secret }).valid).toBe(true);
    expect(verify('poster', { headers: {}, body: JSON.stringify({ ...noData, object_id: 2, verify: v2 }), secret }).valid).toBe(false);
    expect(verify('poster', { headers: {}, body: 'not json', secret })).toEqual({ valid: false, reason: 'body is not JSON' });
  });
});
