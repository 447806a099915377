import { describe, expect, it } from 'vitest';
import { maskHeaders, prepareRequest, requestHeaders, USER_AGENT } from '../../src/delivery/request-headers.js';
import type { ClaimedDelivery } from '../../src/delivery/claim.js';
import type { FinalBody, WebhookFormat } from '../../src/webhooks/formats/format.js';
import { FORMATS } from '../../src/webhooks/formats/registry.js';
import type { Subscription } from '../../src/webhooks/subscription-row.js';
import { subscriptionRow } from '../support/subscription.js';

/*
 * The headers and body of one attempt: stored headers, the format's per-attempt headers computed
 * over the body actually sent, and the endpoint's own credentials (Basic before Bearer, none when
 * neither is set). The format here is a stub whose "signature" is the body it was given.
 */

const NOW = 1_800_000_000_000;

const delivery: ClaimedDelivery = {
  id: 'd1',
  accountId: 'acct',
  subscriptionId: 'hook',
  eventId: null,
  eventType: 'stock.changed',
  attempts: 0,
  url: 'http://127.0.0.1:9/x',
  headers: { 'content-type': 'application/json' },
  body: '{"stored":true}',
  createdMs: 0,
};

const sub = (auth: Partial<Pick<Subscription, 'basicAuth' | 'bearerToken'>> = {}): Subscription =>
  subscriptionRow({ id: 'hook', accountId: 'acct', url: delivery.url, secret: 'whsec_test', maxInFlight: 1, tokenKind: 'user', ...auth });

const signing: WebhookFormat = {
  ...FORMATS.native,
  attemptHeaders: (d, _sub, nowMs) => ({ 'x-signed-body': d.body, 'x-at': String(nowMs) }),
};
const finalizing = (final: FinalBody): WebhookFormat => ({ ...signing, finalizeBody: async () => final });

describe('requestHeaders', () => {
  it('no credentials: user agent, stored headers and the format headers, and no authorization', () => {
    expect(requestHeaders(delivery, sub(), signing, NOW)).toEqual({
      'user-agent': USER_AGENT,
      'content-type': 'application/json',
      'x-signed-body': '{"stored":true}',
      'x-at': String(NOW),
    });
  });

  it('a bearer token is sent as Bearer', () => {
    expect(requestHeaders(delivery, sub({ bearerToken: 'tok-123' }), signing, NOW).authorization).toBe('Bearer tok-123');
  });

  it('basic credentials are sent as Basic, and win over a bearer token', () => {
    const basicAuth = { username: 'u', password: 'p:w' };
    expect(requestHeaders(delivery, sub({ basicAuth }), signing, NOW).authorization).toBe('Basic dTpwOnc=');
    expect(requestHeaders(delivery, sub({ basicAuth, bearerToken: 'tok' }), signing, NOW).authorization).toBe('Basic dTpwOnc=');
  });
});

describe('prepareRequest', () => {
  it('without finalizeBody the stored body is sent', async () => {
    expect(await prepareRequest(delivery, sub(), signing, undefined, NOW)).toEqual({
      body: '{"stored":true}',
      headers: { 'user-agent': USER_AGENT, 'content-type': 'application/json', 'x-signed-body': '{"stored":true}', 'x-at': String(NOW) },
    });
  });

  it("a format's finalized body is sent, and its headers are computed over it", async () => {
    const prepared = await prepareRequest(delivery, sub({ bearerToken: 't' }), finalizing({ body: '{"final":1}' }), undefined, NOW);
    expect(prepared).toEqual({
      body: '{"final":1}',
      headers: { 'user-agent': USER_AGENT, 'content-type': 'application/json', 'x-signed-body': '{"final":1}', 'x-at': String(NOW), authorization: 'Bearer t' },
    });
  });

  it('a cancel from finalizeBody is passed on, with no request', async () => {
    expect(await prepareRequest(delivery, sub(), finalizing({ cancel: 'application uninstalled' }), undefined, NOW)).toEqual({ cancel: 'application uninstalled' });
  });
});

describe('maskHeaders', () => {
  it('keeps only the scheme of authorization, whatever its case', () => {
    expect(maskHeaders({ Authorization: 'Bearer secret', 'x-a': 'b' })).toEqual({ Authorization: 'Bearer ***', 'x-a': 'b' });
  });
});
