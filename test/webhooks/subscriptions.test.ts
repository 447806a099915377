import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

describeEachDb(
  'subscriptions API',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start();
    });
    afterAll(async () => rx.close());

    it('creates, lists without secrets, changes, rotates and deletes', async () => {
      const a = await env().newAccount();
      const created = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/crud'), basicAuth: { username: 'u', password: 'p' }, maxInFlight: 4 }, 201);
      expect(created.body).toMatchObject({ url: rx.url('/crud'), format: 'native', events: null, basicAuth: { username: 'u' }, maxInFlight: 4, bearerToken: false });
      expect(JSON.stringify(created.body)).not.toContain('"p"');
      const id = created.body.id;
      const listed = await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200);
      expect(listed.body.data).toHaveLength(1);
      expect(listed.body.data[0].secret).toBeUndefined();
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${id}`, undefined, 200)).body.secret).toBeUndefined();
      const patched = await call(env(), a, 'PATCH', `/api/v1/webhooks/${id}`, { events: ['stock.changed'], retrySchedule: [1, 2] }, 200);
      expect(patched.body).toMatchObject({ events: ['stock.changed'], retrySchedule: [1, 2] });
      const mk = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/mk'), format: 'metakocka', secret: 'client-secret' }, 201);
      const mkPatched = await call(env(), a, 'PATCH', `/api/v1/webhooks/${mk.body.id}`, { url: rx.url('/mk2') }, 200);
      expect(mkPatched.body).toMatchObject({ format: 'metakocka', url: rx.url('/mk2') });
      expect((await call(env(), a, 'PATCH', `/api/v1/webhooks/${mk.body.id}`, { format: 'native' }, 400)).body.error.message).toContain('cannot change');
      await call(env(), a, 'DELETE', `/api/v1/webhooks/${mk.body.id}`, undefined, 204);
      const reset = await call(env(), a, 'PATCH', `/api/v1/webhooks/${id}`, { retrySchedule: null }, 200);
      expect(reset.body.retrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
      const rotated = await call(env(), a, 'POST', `/api/v1/webhooks/${id}/rotate-secret`, undefined, 200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(created.body.secret);
      const other = await env().newAccount();
      expect((await call(env(), other, 'GET', `/api/v1/webhooks/${id}`)).status).toBe(404);
      expect((await call(env(), other, 'DELETE', `/api/v1/webhooks/${id}`)).status).toBe(404);
      await call(env(), a, 'DELETE', `/api/v1/webhooks/${id}`, undefined, 204);
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${id}`)).status).toBe(404);
    });

    it('validates url, format, events and secrets with clear errors', async () => {
      const a = await env().newAccount();
      const bad: Array<[object, string]> = [
        [{ url: 'ftp://example.com/x' }, 'url must be http or https'],
        [{ url: 'not a url' }, 'url is not a valid URL'],
        [{ url: `https://example.com/${'x'.repeat(2048)}` }, 'body.url must NOT have more than 2048 characters'],
        [{ url: 'https://u:p@example.com/' }, 'put endpoint credentials in basicAuth, not in the url'],
        [{ url: 'https://example.com/', secret: 'plainsecret' }, 'secret must be whsec_ followed by base64 of 24 to 64 bytes'],
        [{ url: 'https://example.com/', format: 'soap' }, 'body.format'],
        [{ url: 'https://example.com/', events: ['stock.exploded'] }, 'body.events[0]'],
      ];
      for (const [body, message] of bad) {
        const res = await call(env(), a, 'POST', '/api/v1/webhooks', body, 400);
        expect(res.body.error.code).toBe('VALIDATION_FAILED');
        expect(res.body.error.message).toContain(message);
      }
      expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toEqual([]);
    });

    it('a test to a format that defines no test message is refused and writes nothing', async () => {
      const a = await env().newAccount();
      for (const [format, extra] of [['metakocka', { secret: 'client-secret' }], ['cyclesoftware', {}]] as const) {
        const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url(`/${format}-test`), format, ...extra }, 201);
        const res = await call(env(), a, 'POST', `/api/v1/webhooks/${sub.body.id}/test`, undefined, 422);
        expect(res.body.error).toMatchObject({ code: 'INVALID_STATE', message: `the ${format} format defines no test message: post a document, or replay, to send a real one` });
      }
      const events = await env().store.db.selectFrom('events').select('type').where('account_id', '=', a.id).where('type', '=', 'webhook.test').execute();
      expect(events).toEqual([]);
      expect(await env().store.db.selectFrom('deliveries').select('id').where('account_id', '=', a.id).execute()).toEqual([]);
    });

    it('sends webhook.test to that subscription only, and replays events since a time', async () => {
      const a = await env().newAccount();
      const one = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/one'), events: ['document.posted'] }, 201);
      await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/two') }, 201);
      const t = await call(env(), a, 'POST', `/api/v1/webhooks/${one.body.id}/test`, undefined, 202);
      expect(t.body.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
      await eventually(() => rx.requests.some((r) => r.url === '/one' && JSON.parse(r.body).type === 'webhook.test'));
      expect(rx.requests.some((r) => r.url === '/two')).toBe(false);

      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const since = new Date().toISOString();
      for (let i = 0; i < 3; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const posted = () => rx.requests.filter((r) => r.url === '/one' && JSON.parse(r.body).type === 'document.posted');
      await eventually(() => posted().length === 3);
      const firstIds = posted().map((r) => JSON.parse(r.body).id);
      const replay = await call(env(), a, 'POST', `/api/v1/webhooks/${one.body.id}/replay`, { since }, 202);
      expect(replay.body).toMatchObject({ webhookId: one.body.id, status: 'running', since, eventsTotal: 6, eventsDone: 0 });
      expect(replay.headers.location).toBe(`/api/v1/replays/${replay.body.id}`);
      const job = await eventually(async () => {
        const j = (await call(env(), a, 'GET', `/api/v1/replays/${replay.body.id}`, undefined, 200)).body;
        return j.status === 'done' && j;
      });
      // 3 x (document.posted + stock.changed) since then; only document.posted matches the filter.
      expect(job).toMatchObject({ eventsTotal: 6, eventsDone: 6, deliveries: 3, error: null, finishedAt: expect.any(String) });
      const other = await env().newAccount();
      expect((await call(env(), other, 'GET', `/api/v1/replays/${replay.body.id}`)).status).toBe(404);
      expect((await call(env(), a, 'GET', `/api/v1/replays?webhookId=${one.body.id}`, undefined, 200)).body.data).toHaveLength(1);
      await eventually(() => posted().length === 6);
      const again = posted().slice(3);
      expect(again.map((r) => JSON.parse(r.body).id).sort()).toEqual([...firstIds].sort());
      // A replay is a new message: new delivery ids, same events.
      expect(again.every((r) => !posted().slice(0, 3).some((x) => x.headers['webhook-id'] === r.headers['webhook-id']))).toBe(true);
    });

    it('a replay since before the account began pages from its first event: every event is done, each delivered once', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const all = await (await env().store.eventReader()).selectFrom('events').select(['seq', 'type']).where('account_id', '=', a.id).orderBy('seq').execute();
      expect(Number(all[0].seq)).toBe(1);
      // A subscription to every event type, made after them: only the replay delivers them.
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/from-the-start'), events: ['warehouse.created', 'product.created', 'document.posted', 'stock.changed'] }, 201);
      const replay = await call(env(), a, 'POST', `/api/v1/webhooks/${sub.body.id}/replay`, { since }, 202);
      const job = await eventually(async () => {
        const j = (await call(env(), a, 'GET', `/api/v1/replays/${replay.body.id}`, undefined, 200)).body;
        return j.status === 'done' && j;
      });
      expect(job).toMatchObject({ eventsTotal: all.length, eventsDone: all.length, deliveries: all.length, error: null });
      await eventually(() => rx.requests.filter((r) => r.url === '/from-the-start').length === all.length);
      // Sent concurrently: compared as sets of event ids, each once.
      const ids = await env().store.db.selectFrom('events').select('id').where('account_id', '=', a.id).execute();
      expect(rx.requests.filter((r) => r.url === '/from-the-start').map((r) => JSON.parse(r.body).id).sort()).toEqual(ids.map((e) => e.id).sort());
    });

    it('a URL moved to another origin drops the stored credentials; a new path on the same origin keeps them', async () => {
      const other = await Receiver.start();
      try {
        const a = await env().newAccount();
        const test = async (id: string, server: Receiver, path: string) => {
          const before = server.requests.length;
          await call(env(), a, 'POST', `/api/v1/webhooks/${id}/test`, undefined, 202);
          await server.waitFor(before + 1);
          const r = server.requests[before];
          expect(r.url).toBe(path);
          return r.headers.authorization;
        };
        const basic = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/creds-basic'), basicAuth: { username: 'u', password: 'pw' } }, 201);
        const bearer = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/creds-bearer'), bearerToken: 'tok-1' }, 201);
        const basicAuth = `Basic ${Buffer.from('u:pw').toString('base64')}`;

        // Same origin (scheme, host and port), another path: the credentials stay.
        const samePath = await call(env(), a, 'PATCH', `/api/v1/webhooks/${basic.body.id}`, { url: rx.url('/creds-basic-2') }, 200);
        expect(samePath.body.basicAuth).toEqual({ username: 'u' });
        expect(await test(basic.body.id, rx, '/creds-basic-2')).toBe(basicAuth);
        await call(env(), a, 'PATCH', `/api/v1/webhooks/${bearer.body.id}`, { url: rx.url('/creds-bearer-2') }, 200);
        expect(await test(bearer.body.id, rx, '/creds-bearer-2')).toBe('Bearer tok-1');

        // Another port is another origin: neither Basic credentials nor the bearer token follow.
        const moved = await call(env(), a, 'PATCH', `/api/v1/webhooks/${basic.body.id}`, { url: other.url('/moved-basic') }, 200);
        expect(moved.body).toMatchObject({ basicAuth: null, bearerToken: false });
        expect(await test(basic.body.id, other, '/moved-basic')).toBeUndefined();
        const movedBearer = await call(env(), a, 'PATCH', `/api/v1/webhooks/${bearer.body.id}`, { url: other.url('/moved-bearer') }, 200);
        expect(movedBearer.body).toMatchObject({ basicAuth: null, bearerToken: false });
        expect(await test(bearer.body.id, other, '/moved-bearer')).toBeUndefined();
        const row = await env().store.db.selectFrom('webhooks').select(['basic_username', 'basic_password', 'bearer_token']).where('id', 'in', [basic.body.id, bearer.body.id]).execute();
        expect(row).toEqual([
          { basic_username: null, basic_password: null, bearer_token: null },
          { basic_username: null, basic_password: null, bearer_token: null },
        ]);

        // New credentials in the same request as the move are the ones kept.
        const back = await call(env(), a, 'PATCH', `/api/v1/webhooks/${bearer.body.id}`, { url: rx.url('/back'), bearerToken: 'tok-2' }, 200);
        expect(back.body.bearerToken).toBe(true);
        expect(await test(bearer.body.id, rx, '/back')).toBe('Bearer tok-2');
      } finally {
        await other.close();
      }
    });

    it('a change of scheme alone is another origin: https to http on the same host and port drops the credentials', async () => {
      const a = await env().newAccount();
      const creds = () => ({ basicAuth: { username: 'u', password: 'pw' }, bearerToken: 'tok' });
      const stored = (id: string) =>
        env().store.db.selectFrom('webhooks').select(['basic_username', 'basic_password', 'bearer_token']).where('id', '=', id).executeTakeFirstOrThrow();
      // The same moves written three ways: explicit default port, another port on both sides, no port.
      const moves = [
        ['https://127.0.0.1:443/h', 'http://127.0.0.1:443/h'],
        ['https://127.0.0.1:8443/h', 'http://127.0.0.1:8443/h'],
        ['https://127.0.0.1/h', 'http://127.0.0.1/h'],
      ];
      for (const [from, to] of moves) {
        const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: from, ...creds() }, 201)).body;
        expect(await stored(sub.id)).toEqual({ basic_username: 'u', basic_password: 'pw', bearer_token: 'tok' });
        const moved = await call(env(), a, 'PATCH', `/api/v1/webhooks/${sub.id}`, { url: to }, 200);
        expect({ to, ...moved.body }).toMatchObject({ to, url: to, basicAuth: null, bearerToken: false });
        expect({ to, ...(await stored(sub.id)) }).toEqual({ to, basic_username: null, basic_password: null, bearer_token: null });
      }
      // The default port written out or left out is the same origin: the credentials stay.
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'https://127.0.0.1/h', ...creds() }, 201)).body;
      await call(env(), a, 'PATCH', `/api/v1/webhooks/${sub.id}`, { url: 'https://127.0.0.1:443/other' }, 200);
      expect(await stored(sub.id)).toEqual({ basic_username: 'u', basic_password: 'pw', bearer_token: 'tok' });
    });

    it('pages the delivery log and filters it by status and event type', async () => {
      const a = await env().newAccount();
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/log') }, 201);
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      for (let i = 0; i < 4; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      // warehouse.created + product.created + 4 x (document.posted + stock.changed)
      await eventually(async () => {
        const l = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries?status=succeeded&limit=100`, undefined, 200);
        return l.body.data.length === 10;
      });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `/api/v1/webhooks/${sub.body.id}/deliveries?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await call(env(), a, 'GET', q, undefined, 200);
        seen.push(...page.body.data.map((d: any) => d.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(10);
      expect(new Set(seen).size).toBe(10);
      const stock = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries?eventType=stock.changed`, undefined, 200);
      expect(stock.body.data).toHaveLength(4);
      const none = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries?status=failed`, undefined, 200);
      expect(none.body.data).toEqual([]);
      const metrics = await env().app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(metrics.body).toContain('stockhook_deliveries{status="succeeded"}');
      expect(metrics.body).toMatch(/stockhook_attempt_duration_seconds_bucket\{le="0.005",format="native",outcome="succeeded"\} \d+/);
      expect(metrics.body).toContain('stockhook_queue_depth');
      expect(metrics.body).toContain('stockhook_oldest_pending_age_seconds');
      expect(metrics.body).toContain('stockhook_breakers{state="open"}');
    });
  },
  { dispatcher: { pollMs: 100 } },
);

/**
 * A host name (not an IP literal, not localhost, which is refused by name) that resolves to a
 * loopback or private address on this machine without any network: from /etc/hosts or the machine's
 * own name (`getent hosts $(hostname)`). Tests never add entries to /etc/hosts.
 */
async function privateHostName(): Promise<{ name: string; address: string }> {
  const names = new Set<string>([hostname()]);
  for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
    const [, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    for (const n of aliases) names.add(n);
  }
  for (const name of names) {
    if (!name || name === 'localhost' || name.endsWith('.localhost') || name.includes(':')) continue;
    const found = await lookup(name, { family: 4 }).catch(() => null);
    if (found && /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(found.address)) return { name, address: found.address };
  }
  throw new Error(`no host name here resolves to a private IPv4 address (tried ${[...names].join(', ')}): the send-time DNS check needs one`);
}

/** A subscription put straight into the table, as if created while private targets were allowed. */
async function insertWebhook(env: TestEnv, a: TestAccount, id: string, url: string): Promise<void> {
  const now = Date.now();
  await env.store.db
    .insertInto('webhooks')
    .values({
      id, account_id: a.id, url, format: 'native', events: null,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', basic_username: null, basic_password: null, bearer_token: null,
      enabled: 1, disabled_reason: null, retry_schedule: '[]', coalesce_seconds: null, max_in_flight: 4, options: '{}',
      token_kind: 'user', failing_since_ms: null, created_ms: now, updated_ms: now,
    })
    .execute();
}

describeEachDb(
  'webhook targets on private networks',
  (env) => {
    it('refuses loopback, private and link-local URLs unless allowed', async () => {
      const a = await env().newAccount();
      for (const url of [
        'http://127.0.0.1:8080/x',
        'http://localhost/x',
        'http://10.1.2.3/x',
        'http://192.168.0.10/x',
        'http://172.20.0.1/x',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]/x',
        'http://[fe80::1]/x',
        'http://[::ffff:127.0.0.1]/x',
        'http://0.0.0.0/x',
      ]) {
        const res = await call(env(), a, 'POST', '/api/v1/webhooks', { url }, 422);
        expect(res.body.error.code, url).toBe('TARGET_NOT_ALLOWED');
      }
      expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toEqual([]);
    });

    it('checks again at send time: a private target that got into the table is never contacted', async () => {
      const rx = await Receiver.start();
      try {
        const a = await env().newAccount();
        // Allowed when created (e.g. by an operator who has since turned the setting off).
        await insertWebhook(env(), a, '11111111-2222-4333-8444-555555555555', rx.url('/private'));
        await warehouse(env(), a);
        const d = await eventually(async () => {
          const l = await call(env(), a, 'GET', '/api/v1/webhooks/11111111-2222-4333-8444-555555555555/deliveries?status=failed', undefined, 200);
          return l.body.data[0];
        });
        const full = await call(env(), a, 'GET', `/api/v1/deliveries/${d.id}`, undefined, 200);
        expect(full.body.attemptLog[0].error).toEqual({ kind: 'blocked', message: '127.0.0.1 is a loopback, private or otherwise non-public address' });
        expect(rx.requests).toHaveLength(0);
      } finally {
        await rx.close();
      }
    });

    it('checks a host name too: refused when it resolves to a private address, and at send time the address connected to is checked', async () => {
      const { name, address } = await privateHostName();
      const rx = await Receiver.start(undefined, address);
      try {
        const a = await env().newAccount();
        const url = `http://${name}:${rx.port}/dns`;
        const refused = await call(env(), a, 'POST', '/api/v1/webhooks', { url }, 422);
        expect(refused.body.error).toMatchObject({ code: 'TARGET_NOT_ALLOWED', details: { field: 'url' } });
        // The refusal names the host, never the address it resolved to (no oracle for internal DNS).
        expect(JSON.stringify(refused.body)).not.toContain(address);
        // The name resolved elsewhere when the subscription was made (DNS changes): at send time it
        // resolves to the private address, and the connection is refused before anything is sent.
        const id = '11111111-2222-4333-8444-666666666666';
        await insertWebhook(env(), a, id, url);
        await warehouse(env(), a);
        const d = await eventually(async () => {
          const l = await call(env(), a, 'GET', `/api/v1/webhooks/${id}/deliveries`, undefined, 200);
          return l.body.data[0]?.status !== 'pending' && l.body.data[0];
        });
        expect(d.status).toBe('failed');
        const full = await call(env(), a, 'GET', `/api/v1/deliveries/${d.id}`, undefined, 200);
        expect(full.body.attemptLog).toHaveLength(1);
        expect(full.body.attemptLog[0].response).toBeNull();
        expect(full.body.attemptLog[0].error.kind).toBe('blocked');
        expect(full.body.attemptLog[0].error.message).toContain(`${name} resolves to a non-public address`);
        expect(full.body.attemptLog[0].error.message).not.toContain(address);
        expect(rx.requests).toHaveLength(0);
      } finally {
        await rx.close();
      }
    });
  },
  { allowPrivateTargets: false, dispatcher: { pollMs: 100 } },
);
