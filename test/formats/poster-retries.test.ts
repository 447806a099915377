import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/*
 * Seed 004 (004_a1bb63d8532f2e59.txt), "Параметры вебхука": "На полученный вебхук нужно отвечать 200
 * статусом по HTTP протоколу. Иначе мы будем считать вебхук не доставленным и попытаемся отправить его
 * еще 15 раз в течение двух дней." (answer 200, or the hook counts as not delivered and is sent 15 more
 * times within two days). Nothing there lets a receiver's Retry-After cost it a try, so a receiver
 * answering every try `503 Retry-After: 86400` still gets all 16, the last within the two days.
 *
 * Two days are not waited for: the dispatcher and the domain run on one injected clock, which the
 * test moves to each retry's due time once the attempt before it has been written.
 */
const SECRET = 'fe2bc8e865d8fc2236968ee53c3b2bd5';
const DAY = 86_400_000;

/** `verify` as the seed's PHP sample computes it. */
function posterVerifies(raw: string, secret: string): boolean {
  const h = JSON.parse(raw) as Record<string, unknown>;
  const parts = [h.account, h.object, h.object_id, h.action];
  if (h.data !== undefined) parts.push(h.data);
  parts.push(h.time, secret);
  return createHash('md5').update(parts.map(String).join(';')).digest('hex') === h.verify;
}

let shift = 0;
const clock = (): number => Date.now() + shift;

describeEachDb(
  'Poster: 15 more tries within two days, whatever Retry-After says',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start(() => ({ status: 503, headers: { 'retry-after': '86400' }, body: 'busy' }));
    });
    afterAll(async () => rx.close());

    it('"попытаемся отправить его еще 15 раз в течение двух дней": Retry-After: 86400 on every try still gets all 16 tries, the last within 48 h', async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/busy'), format: 'poster', objects: ['storage'], secret: SECRET }, 201)).body;
      expect(sub.followsVendorSchedule).toBe(true);
      await warehouse(env(), a);
      const row = async () => env().store.db.selectFrom('deliveries').selectAll().where('webhook_id', '=', sub.id).executeTakeFirstOrThrow();
      for (let n = 1; n <= 15; n++) {
        // Attempt n answered and its result written: the row is no longer leased and counts n attempts.
        const d = await eventually(async () => {
          const r = await row();
          return r.attempts === n && r.lease_owner === null && r;
        });
        expect(d.status).toBe('pending');
        // Move both clocks to the retry's due time, and tell the dispatcher something may be due.
        shift = Math.max(shift, Number(d.next_attempt_ms) - Date.now());
        env().dispatcher?.wake();
      }
      const last = await eventually(async () => {
        const r = await row();
        return r.attempts === 16 && r.lease_owner === null && r;
      });
      // The 16th try ran out the schedule: failed, and nothing more is sent.
      expect(last.status).toBe('failed');
      const got = rx.on('/busy');
      expect(got).toHaveLength(16);
      for (const r of got) expect(posterVerifies(r.body, SECRET)).toBe(true);
      expect(new Set(got.map((r) => r.body.replace(/"time":"\d+","verify":"[0-9a-f]+"/, ''))).size).toBe(1);

      const full = (await call(env(), a, 'GET', `/api/v1/deliveries/${last.id}`, undefined, 200)).body;
      const created = Date.parse(full.createdAt);
      const started = (full.attemptLog as any[]).map((x) => Date.parse(x.startedAt));
      expect(started).toHaveLength(16);
      expect((full.attemptLog as any[]).map((x) => x.response?.status)).toEqual(Array(16).fill(503));
      // Every try, the last one's full 15 s timeout included, within two days of the change.
      expect(started[15] + 15_000).toBeLessThanOrEqual(created + 2 * DAY);
      // Retry-After was honoured as far as that allowed: the second try came hours later, not after 30 s.
      expect(started[1] - started[0]).toBeGreaterThan(4 * 3600_000);
      for (let i = 1; i < 16; i++) expect(started[i]).toBeGreaterThan(started[i - 1]);
    }, 60_000);
  },
  { dispatcher: { pollMs: 50, clock }, now: clock },
);

describeEachDb('a subscription says whether it follows its vendor schedule', (env) => {
  const url = 'http://127.0.0.1:9/hook';
  const vendors = [
    { format: 'metakocka', own: [60, 60] },
    { format: 'kladana', stockType: 'stock', reportType: 'all', own: [0, 0, 0] },
    { format: 'poster', objects: ['stock'], own: null },
  ];

  it('followsVendorSchedule: true by default, false once retrySchedule overrides it (Kladana [60,60,60]), true again with null', async () => {
    const a = await env().newAccount();
    for (const { own, ...input } of vendors) {
      const made = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: `${url}/${input.format}`, ...input }, 201)).body;
      expect([input.format, made.followsVendorSchedule]).toEqual([input.format, true]);
      const overridden = (await call(env(), a, 'PATCH', `/api/v1/webhooks/${made.id}`, { retrySchedule: [60, 60, 60] }, 200)).body;
      // [60, 60, 60] is another schedule for every vendor here (MetaKocka's two tries 60 s apart included).
      expect([input.format, overridden.followsVendorSchedule, overridden.retrySchedule]).toEqual([input.format, false, [60, 60, 60]]);
      const listed = (await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data.find((w: any) => w.id === made.id);
      expect(listed.followsVendorSchedule).toBe(false);
      if (own) {
        // An override equal to the vendor's schedule changes nothing.
        expect((await call(env(), a, 'PATCH', `/api/v1/webhooks/${made.id}`, { retrySchedule: own }, 200)).body.followsVendorSchedule).toBe(true);
      }
      const back = (await call(env(), a, 'PATCH', `/api/v1/webhooks/${made.id}`, { retrySchedule: null }, 200)).body;
      expect([input.format, back.followsVendorSchedule]).toEqual([input.format, true]);
    }
    const created = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: `${url}/short`, format: 'kladana', stockType: 'stock', reportType: 'bystore', retrySchedule: [60, 60, 60] }, 201)).body;
    expect(created.followsVendorSchedule).toBe(false);
  });

  it('the OpenAPI document lists it on Webhook', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const webhook = doc.components.schemas.Webhook;
    expect(webhook.properties.followsVendorSchedule.type).toBe('boolean');
    expect(webhook.required).toContain('followsVendorSchedule');
  });
});
