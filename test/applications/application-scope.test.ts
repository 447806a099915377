import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/*
 * Replays and delivery statistics hang off subscriptions, so an application token sees them only
 * for the subscriptions that application created: another application's or the user's replay is
 * 404, a webhookId filter naming one is 404 (as GET /api/v1/deliveries?webhookId= answers), and
 * lists and statistics count only its own.
 */

async function register(env: TestEnv, name: string): Promise<number> {
  const res = await env.app.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${env.adminToken}` }, payload: { name } });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
}

async function install(env: TestEnv, a: TestAccount, appId: number): Promise<TestAccount> {
  const token = (await call(env, a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201)).body.accessToken as string;
  return { ...a, token, auth: { authorization: `Bearer ${token}` } };
}

/** Total attempts over every bucket of the last hour, as the dashboard would sum them. */
async function attempts(env: TestEnv, who: TestAccount, query = ''): Promise<{ attempts: number; succeeded: number }> {
  const body = (await call(env, who, 'GET', `/api/v1/stats/deliveries?bucketSeconds=3600${query}`, undefined, 200)).body;
  let n = 0;
  let ok = 0;
  for (const b of body.buckets as Array<{ attempts: number; succeeded: number }>) {
    n += b.attempts;
    ok += b.succeeded;
  }
  return { attempts: n, succeeded: ok };
}

describeEachDb(
  'application scope of replays and delivery statistics',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start();
    });
    afterAll(async () => rx.close());

    it("an application token sees only its own subscriptions' replays and attempts", async () => {
      const a = await env().newAccount();
      const ax = await install(env(), a, await register(env(), 'Scope A'));
      const bx = await install(env(), a, await register(env(), 'Scope B'));
      const start = Date.now() - 1000;
      // Only stock events: the replays below find nothing to resend, so the test sends are the only attempts.
      const sub = async (who: TestAccount, path: string) =>
        (await call(env(), who, 'POST', '/api/v1/webhooks', { url: rx.url(path), events: ['stock.changed'] }, 201)).body.id as string;
      const subA = await sub(ax, '/a');
      const subB = await sub(bx, '/b');
      const subU = await sub(a, '/u');
      const replay = async (who: TestAccount, id: string) =>
        (await call(env(), who, 'POST', `/api/v1/webhooks/${id}/replay`, { since: new Date(start).toISOString() }, 202)).body.id as string;
      const rA = await replay(ax, subA);
      const rB = await replay(bx, subB);
      const rU = await replay(a, subU);
      const sends: Array<[TestAccount, string, number]> = [
        [ax, subA, 2],
        [bx, subB, 3],
        [a, subU, 1],
      ];
      for (const [who, id, n] of sends) for (let i = 0; i < n; i++) await call(env(), who, 'POST', `/api/v1/webhooks/${id}/test`, undefined, 202);
      await eventually(() => rx.requests.length === 6);
      await env().dispatcher?.drained();
      expect(rx.requests.map((r) => r.url).sort()).toEqual(['/a', '/a', '/b', '/b', '/b', '/u']);

      // Replays: one's own by id and in the list; the others' are 404 as another account's.
      expect((await call(env(), ax, 'GET', `/api/v1/replays/${rA}`, undefined, 200)).body).toMatchObject({ id: rA, webhookId: subA });
      for (const other of [rB, rU]) {
        const res = await call(env(), ax, 'GET', `/api/v1/replays/${other}`);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
      expect((await call(env(), bx, 'GET', `/api/v1/replays/${rA}`)).status).toBe(404);
      const list = async (who: TestAccount, q = '') => (await call(env(), who, 'GET', `/api/v1/replays${q}`, undefined, 200)).body.data.map((r: { id: string }) => r.id).sort();
      expect(await list(ax)).toEqual([rA]);
      expect(await list(bx)).toEqual([rB]);
      expect(await list(a)).toEqual([rA, rB, rU].sort());
      expect(await list(ax, `?webhookId=${subA}`)).toEqual([rA]);
      expect(await list(a, `?webhookId=${subB}`)).toEqual([rB]);
      for (const other of [subB, subU]) expect((await call(env(), ax, 'GET', `/api/v1/replays?webhookId=${other}`)).status).toBe(404);
      // The user's token is not narrowed: it reads every application's replay.
      expect((await call(env(), a, 'GET', `/api/v1/replays/${rB}`, undefined, 200)).body.webhookId).toBe(subB);

      // Statistics: exactly its own attempts without a filter; another's subscription is 404.
      expect(await attempts(env(), ax)).toEqual({ attempts: 2, succeeded: 2 });
      expect(await attempts(env(), bx)).toEqual({ attempts: 3, succeeded: 3 });
      expect(await attempts(env(), a)).toEqual({ attempts: 6, succeeded: 6 });
      expect(await attempts(env(), ax, `&webhookId=${subA}`)).toEqual({ attempts: 2, succeeded: 2 });
      expect(await attempts(env(), a, `&webhookId=${subB}`)).toEqual({ attempts: 3, succeeded: 3 });
      for (const other of [subB, subU]) {
        const res = await call(env(), ax, 'GET', `/api/v1/stats/deliveries?webhookId=${other}`);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
      // The routes that already scoped answer the same: the delivery log's filter is 404 too.
      expect((await call(env(), ax, 'GET', `/api/v1/deliveries?webhookId=${subB}`)).status).toBe(404);
    });
  },
  { dispatcher: { pollMs: 100 } },
);
