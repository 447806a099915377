import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verify } from '../../src/receiver/index.js';
import { standardSignature } from '../../src/receiver/signatures.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call } from '../support/fixtures.js';
import { eventually, Receiver, type Received } from '../support/receiver.js';

/*
 * Overlapping secret rotation (Standard Webhooks, as Svix rotates): during the grace period a
 * native or marketplace delivery carries `v1,<new> v1,<old>`, each verifying with its own secret;
 * after it only the new one. Whether the grace is over is the domain clock's (ctx.now) call: the
 * test moves that clock, never sleeps. The clock starts two minutes in the past, so deliveries made
 * meanwhile are due at once by the real clock the dispatcher claims with, and the lease is ten
 * minutes, so no lease a write takes under that clock has run out by the real one.
 */

const OLD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const PAST = -120_000;
let shift = PAST;

/**
 * The request a test send made to `path`. Subscriptions here take only stock.changed (webhook.test
 * always reaches its one subscription), so the events of the rotation and PATCH send nothing.
 */
async function sendTest(env: TestEnv, rx: Receiver, a: TestAccount, id: string, path: string): Promise<Received> {
  const before = rx.on(path).length;
  const { deliveryId } = (await call(env, a, 'POST', `/api/v1/webhooks/${id}/test`, undefined, 202)).body;
  await eventually(() => rx.on(path).length > before);
  const got = rx.on(path);
  expect(got).toHaveLength(before + 1);
  const r = got[before];
  if (r.headers['webhook-id'] !== undefined) expect(r.headers['webhook-id']).toBe(deliveryId);
  return r;
}

const signatures = (r: Received) => String(r.headers['webhook-signature']).split(' ');
const expected = (r: Received, secret: string) => `v1,${standardSignature(secret, String(r.headers['webhook-id']), String(r.headers['webhook-timestamp']), r.body)}`;
const verifiesWith = (r: Received, secret: string | string[]) => verify('native', { headers: r.headers, body: r.body, secret }).valid;
const packageVerifies = (r: Received, secret: string) => {
  try {
    new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

describeEachDb(
  'rotate-secret with a grace period',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start();
    });
    afterAll(async () => rx.close());

    it('native: both signatures during the grace period, each verifying with its secret; only the new one after', async () => {
      shift = PAST;
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/native'), events: ['stock.changed'], secret: OLD }, 201)).body;
      const rotated = await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/rotate-secret`, { gracePeriodSeconds: 60 }, 200);
      const NEW = rotated.body.secret as string;
      expect(NEW).toMatch(/^whsec_/);
      expect(NEW).not.toBe(OLD);
      // The old secret is stored, never shown: not in the rotation's answer, a read or the list.
      const reads = [rotated.body, (await call(env(), a, 'GET', `/api/v1/webhooks/${sub.id}`, undefined, 200)).body, (await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body];
      expect(JSON.stringify(reads)).not.toContain(OLD.slice('whsec_'.length));

      // Still at the rotation's time (ctx.now): in the grace period.
      const during = await sendTest(env(), rx, a, sub.id, '/native');
      expect(signatures(during)).toEqual([expected(during, NEW), expected(during, OLD)]);
      expect([verifiesWith(during, OLD), verifiesWith(during, NEW)]).toEqual([true, true]);
      expect([packageVerifies(during, OLD), packageVerifies(during, NEW)]).toEqual([true, true]);

      // Two minutes later, past the 60 s: only the new secret signs.
      shift = 0;
      const after = await sendTest(env(), rx, a, sub.id, '/native');
      expect(signatures(after)).toEqual([expected(after, NEW)]);
      expect([verifiesWith(after, OLD), verifiesWith(after, NEW)]).toEqual([false, true]);
      expect([packageVerifies(after, OLD), packageVerifies(after, NEW)]).toEqual([false, true]);
      // A receiver given both secrets accepts either phase.
      expect([verifiesWith(during, [NEW, OLD]), verifiesWith(after, [OLD, NEW])]).toEqual([true, true]);
    });

    it('without a body the grace period is 24 hours', async () => {
      shift = PAST;
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/default'), events: ['stock.changed'], secret: OLD }, 201)).body;
      const NEW = (await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/rotate-secret`, undefined, 200)).body.secret as string;
      const row = await env().store.db.selectFrom('webhooks').select(['updated_ms', 'previous_secret', 'previous_secret_until_ms']).where('id', '=', sub.id).executeTakeFirstOrThrow();
      expect([row.previous_secret, Number(row.previous_secret_until_ms) - Number(row.updated_ms)]).toEqual([OLD, 86_400_000]);
      shift = 0;
      const r = await sendTest(env(), rx, a, sub.id, '/default');
      expect(signatures(r)).toEqual([expected(r, NEW), expected(r, OLD)]);
    });

    it('a grace of 0 switches at once; a later PATCH of the secret ends a grace period; marketplace signs as native', async () => {
      shift = PAST;
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/zero'), events: ['stock.changed'], secret: OLD }, 201)).body;
      const NEW = (await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/rotate-secret`, { gracePeriodSeconds: 0 }, 200)).body.secret as string;
      const r = await sendTest(env(), rx, a, sub.id, '/zero');
      expect(signatures(r)).toEqual([expected(r, NEW)]);
      expect([verifiesWith(r, OLD), verifiesWith(r, NEW)]).toEqual([false, true]);

      const mp = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/mp'), format: 'marketplace', events: ['stock.changed'], secret: OLD }, 201)).body;
      const MP_NEW = (await call(env(), a, 'POST', `/api/v1/webhooks/${mp.id}/rotate-secret`, { gracePeriodSeconds: 3600 }, 200)).body.secret as string;
      const m = await sendTest(env(), rx, a, mp.id, '/mp');
      expect(signatures(m)).toEqual([expected(m, MP_NEW), expected(m, OLD)]);
      expect([verify('marketplace', { headers: m.headers, body: m.body, secret: OLD }).valid, packageVerifies(m, MP_NEW)]).toEqual([true, true]);
      const CHOSEN = 'whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=';
      await call(env(), a, 'PATCH', `/api/v1/webhooks/${mp.id}`, { secret: CHOSEN }, 200);
      const patched = await sendTest(env(), rx, a, mp.id, '/mp');
      expect(signatures(patched)).toEqual([expected(patched, CHOSEN)]);
    });

    it('formats with one signature (poster) sign with the new secret at once', async () => {
      shift = PAST;
      const a = await env().newAccount();
      const OLD_POSTER = 'fe2bc8e865d8fc2236968ee53c3b2bd5';
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/poster'), format: 'poster', objects: ['stock'], events: ['stock.changed'], secret: OLD_POSTER }, 201)).body;
      const NEW = (await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/rotate-secret`, undefined, 200)).body.secret as string;
      const r = await sendTest(env(), rx, a, sub.id, '/poster');
      const check = (secret: string | string[]) => verify('poster', { headers: r.headers, body: r.body, secret }).valid;
      expect([check(OLD_POSTER), check(NEW), check([OLD_POSTER, NEW])]).toEqual([false, true, true]);
      const row = await env().store.db.selectFrom('webhooks').select(['previous_secret', 'previous_secret_until_ms']).where('id', '=', sub.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ previous_secret: null, previous_secret_until_ms: null });
    });

    it('bad grace values are 400 and change nothing', async () => {
      shift = PAST;
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/bad'), secret: OLD }, 201)).body;
      for (const body of [{ gracePeriodSeconds: -1 }, { gracePeriodSeconds: 1.5 }, { gracePeriodSeconds: '60' }, { gracePeriodSeconds: null }, { gracePeriodSeconds: 604_801 }, { grace: 60 }]) {
        const res = await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/rotate-secret`, body);
        expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
      }
      const row = await env().store.db.selectFrom('webhooks').select(['secret', 'previous_secret']).where('id', '=', sub.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ secret: OLD, previous_secret: null });
    });
  },
  { dispatcher: { pollMs: 100, leaseMs: 600_000 }, now: () => Date.now() + shift },
);
