import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { describeEachDb, freshDatabase } from '../support/env.js';
import { call, product, warehouse } from '../support/fixtures.js';
import { eventually, latch, Receiver } from '../support/receiver.js';
import { connectionOwners } from '../support/sockets.js';

/**
 * Leases: a worker holds a claimed delivery for STOCKHOOK_DELIVERY_LEASE_MS and extends the lease
 * while it still has it (the heartbeat), so a slow endpoint is never sent a delivery twice; a worker
 * that stops extending loses it to another live worker, which sends it again with the same id.
 */

const LEASE_MS = 3000;

describeEachDb(
  'the lease heartbeat',
  (env) => {
    let rx: Receiver;
    const slowAnswer = latch();
    beforeAll(async () => {
      rx = await Receiver.start((r) => (r.path === '/slow' && rx.on('/slow').length === 1 ? { status: 200, hold: slowAnswer.promise } : { status: 200 }));
    });
    afterAll(async () => {
      slowAnswer.open();
      await rx.close();
    });

    it('a delivery slower than the lease stays with its worker and is sent once', { timeout: 600_000 }, async () => {
      const a = await env().newAccount();
      const slow = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/slow'), events: ['warehouse.created'] }, 201);
      const probe = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/probe'), events: ['product.created'] }, 201);
      await warehouse(env(), a);
      await eventually(() => rx.on('/slow').length === 1);
      const deliveryId = String(rx.on('/slow')[0].headers['webhook-id']);
      const read = async () => (await call(env(), a, 'GET', `/api/v1/deliveries/${deliveryId}`, undefined, 200)).body;
      // While a delivery is claimed, its nextAttemptAt is the end of its lease.
      const firstExpiry = Date.parse((await read()).nextAttemptAt);
      // The heartbeat moves the lease on while the request is still in flight.
      await eventually(async () => Date.parse((await read()).nextAttemptAt) > firstExpiry, 10_000, 50, 'lease extended');
      // Once the first lease would have run out, a new delivery is committed: the claim that picks it
      // up would pick up the slow one too if its lease had lapsed (it is due earlier).
      await eventually(() => Date.now() > firstExpiry + 200, 10_000, 50, 'first lease over');
      await product(env(), a);
      await eventually(async () => {
        const l = (await call(env(), a, 'GET', `/api/v1/webhooks/${probe.body.id}/deliveries?status=succeeded`, undefined, 200)).body.data;
        return l.length === 1;
      });
      expect(rx.on('/slow')).toHaveLength(1);
      expect((await read()).status).toBe('pending');
      slowAnswer.open();
      const done = await eventually(async () => {
        const d = await read();
        return d.status === 'succeeded' && d;
      });
      expect(done.attemptLog).toHaveLength(1);
      expect(rx.on('/slow')).toHaveLength(1);
      expect(slow.body.id).toBe(done.webhookId);
    });
  },
  { dispatcher: { pollMs: 100, leaseMs: LEASE_MS } },
);

const hasPostgres = (inject('databases') as string[]).includes('postgres');

if (!hasPostgres) {
  describe('lease takeover by another live worker', () => {
    it.skip('skipped: PostgreSQL is not among the configured databases; several workers share a queue only on PostgreSQL', () => {});
  });
} else {
  describe('lease takeover by another live worker [postgres]', () => {
    const ADMIN = 'lease-takeover-admin-0123456789abcdef0123456789';
    const children: Child[] = [];
    let rx: Receiver | undefined;
    let drop: (() => Promise<void>) | undefined;
    const firstAnswer = latch();

    afterAll(async () => {
      for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGCONT');
      firstAnswer.open();
      await killAll(children);
      await rx?.close();
      await drop?.();
    }, 30_000);

    it('a worker that stops renewing its lease loses the delivery to the other running worker, which sends it again with the same id', { timeout: 600_000 }, async () => {
      const t0 = Date.now();
      const marks: string[] = [];
      const mark = (what: string) => marks.push(`${what}=${Date.now() - t0}ms`);
      const fresh = await freshDatabase('postgres');
      drop = fresh.drop;
      rx = await Receiver.start((r) => (rx?.on(r.path).length === 1 ? { status: 200, hold: firstAnswer.promise } : { status: 200 }));
      const env = { STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1', STOCKHOOK_ADMIN_TOKEN: ADMIN, STOCKHOOK_DELIVERY_LEASE_MS: '2000' };
      const args = (role: string) => ['serve', '--db', fresh.url, '--port', '0', '--role', role];
      const workerReady = { ready: /lease owner (\S+),/, timeoutMs: 30_000 };
      // The api process migrates the fresh database; then two workers, both running before anything is due.
      const apiProc = await startCli(args('api'), env);
      children.push(apiProc);
      const workers = await Promise.all(
        [0, 1].map(async () => {
          const c = await startCli(args('worker'), env, workerReady);
          children.push(c);
          return c;
        }),
      );
      const pids = workers.map((w) => w.proc.pid as number);
      mark('started');

      const base = apiProc.url;
      const { token } = await api<{ token: string }>(base, ADMIN, 'POST', '/api/v1/accounts', { name: 'Takeover', plan: 'paid' }, 201);
      await api(base, token, 'POST', '/api/v1/webhooks', { url: rx.url('/takeover'), events: ['warehouse.created'] }, 201);
      await api(base, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201);
      // One of them claims it and sends it; the endpoint holds its answer.
      await eventually(() => rx!.on('/takeover').length === 1, 20_000);
      const [sent] = rx.on('/takeover');
      const id = String(sent.headers['webhook-id']);
      const holderPid = (await connectionOwners(rx.port, pids)).get(sent.remotePort);
      expect(pids).toContain(holderPid);
      const holder = workers[pids.indexOf(holderPid as number)];
      const other = workers[1 - pids.indexOf(holderPid as number)];
      mark('sent');

      // Frozen mid-request: alive (its sockets and database sessions stay open) but renewing nothing.
      holder.proc.kill('SIGSTOP');
      await eventually(() => rx!.on('/takeover').length === 2, 30_000, 50, 'the other worker took the delivery over');
      mark('taken over');
      const again = rx.on('/takeover')[1];
      expect((await connectionOwners(rx.port, pids)).get(again.remotePort)).toBe(other.proc.pid);
      expect(again.headers['webhook-id']).toBe(id);
      expect(again.raw.equals(sent.raw)).toBe(true);
      const read = async () => (await api<any>(base, token, 'GET', `/api/v1/deliveries/${id}`)) as any;
      await eventually(async () => (await read()).status === 'succeeded', 10_000, 50);
      mark('succeeded');

      // The frozen worker wakes up and finishes its request; its result no longer owns the row.
      holder.proc.kill('SIGCONT');
      firstAnswer.open();
      const d = await eventually(async () => {
        const x = await read();
        return x.attemptLog.length === 2 && x;
      }, 20_000, 50, "the first worker's attempt logged");
      mark('first logged');
      expect(d.status).toBe('succeeded');
      expect(d.attemptLog.map((x: any) => x.request.headers['webhook-id'])).toEqual([id, id]);

      for (const c of [apiProc, ...workers]) c.proc.kill('SIGTERM');
      expect(await Promise.all([apiProc, ...workers].map((c) => c.exited))).toEqual([0, 0, 0]);
      // Stopped processes send nothing more: two requests in all.
      expect(rx.on('/takeover')).toHaveLength(2);
      mark('exited');
      console.info(`[lease takeover] ${marks.join(' ')}`);
    });
  });
}
