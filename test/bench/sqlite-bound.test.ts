import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, setUpOverHttp, type Fixture } from '../../bench/lib/api.js';
import { startOutboxPeer, type Serve } from '../../bench/lib/children.js';
import { verify } from '../../src/receiver/index.js';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/*
 * Bench (i)'s bound (bench/peers/sqlite-bound.ts) claims to write stockhook's rows the simplest way.
 * Its figure means something only if that holds: stockhook, started on the file the bound wrote,
 * must read those rows as its own (the document, the stock level, the events in order, delivered
 * deliveries with their attempts), and a receiver written for stockhook must accept its webhooks.
 */
describe('bench (i): the bound writes what stockhook reads as its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockhook-bound-'));
  const file = join(dir, 'bound.db');
  const children: Child[] = [];
  let rx: Receiver;
  let fixture: Fixture;
  let bound: Serve | null = null;

  beforeAll(async () => {
    rx = await Receiver.start();
    const setup = await startCli(['serve', '--port', '0', '--db', file], { STOCKHOOK_ADMIN_TOKEN: ADMIN_TOKEN, STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1' });
    fixture = await setUpOverHttp(setup.url, [rx.url('/a'), rx.url('/b')], 2);
    await killAll([setup]);
  });

  afterAll(async () => {
    await bound?.close();
    await killAll(children);
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts receipts, delivers each signed to every subscription, and stockhook reads the rows back', async () => {
    bound = await startOutboxPeer(file, [], 'unused', { peer: 'sqlite-bound' });
    const posted: Array<{ id: number }> = [];
    for (const [i, productId] of [fixture.productIds[0], fixture.productIds[1], fixture.productIds[0]].entries()) {
      const res = await fetch(`${bound.url}/api/v1/documents`, {
        method: 'POST',
        headers: { authorization: fixture.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'receipt', warehouseId: fixture.warehouseId, reference: `R-${i}`, lines: [{ productId, quantity: 2 }] }),
      });
      expect(res.status).toBe(201);
      posted.push((await res.json()) as { id: number });
    }
    // A refused receipt (unknown product) takes nothing with it.
    const refused = await fetch(`${bound.url}/api/v1/documents`, {
      method: 'POST',
      headers: { authorization: fixture.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'receipt', warehouseId: fixture.warehouseId, lines: [{ productId: 999_999, quantity: 1 }] }),
    });
    expect(refused.status).toBe(422);

    await eventually(() => rx.on('/a').length === 3 && rx.on('/b').length === 3, 10_000, 25, 'three deliveries at each subscription');
    const db = new Database(file, { readonly: true });
    const secrets = Object.fromEntries((db.prepare('select url, secret from webhooks').all() as Array<{ url: string; secret: string }>).map((w) => [new URL(w.url).pathname, w.secret]));
    // The bound's results are written after the sends: wait for the last one.
    await eventually(() => (db.prepare(`select count(*) as n from deliveries where status = 'succeeded'`).get() as { n: number }).n === 6);
    db.close();
    for (const path of ['/a', '/b']) {
      for (const r of rx.on(path)) expect(verify('native', { headers: r.headers, body: r.raw, secret: secrets[path] })).toEqual({ valid: true });
      expect(rx.on(path).map((r) => (JSON.parse(r.body) as { data: { amount: number } }).data.amount).sort()).toEqual([2, 2, 4]);
    }
    await bound.close();
    bound = null;

    const serve = await startCli(['serve', '--port', '0', '--db', file], { STOCKHOOK_ADMIN_TOKEN: ADMIN_TOKEN, STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1' });
    children.push(serve);
    const token = fixture.auth.slice('Bearer '.length);
    const doc = await api(serve.url, token, 'GET', `/api/v1/documents/${posted[2].id}`);
    expect(doc).toMatchObject({ ...posted[2], type: 'receipt', status: 'posted', reference: 'R-2' });
    const stock = await api<{ data: Array<{ productId: number; amount: number }> }>(serve.url, token, 'GET', '/api/v1/stock');
    expect(stock.data.map((s) => [s.productId, s.amount]).sort()).toEqual([
      [fixture.productIds[0], 4],
      [fixture.productIds[1], 2],
    ]);
    const events = await api<{ data: Array<{ type: string; data: { document?: { id: number }; documentId?: number } }> }>(serve.url, token, 'GET', '/api/v1/events');
    const written = events.data.filter((e) => e.type === 'document.posted' || e.type === 'stock.changed');
    expect(written.map((e) => [e.type, e.data.document?.id ?? e.data.documentId])).toEqual(
      posted.flatMap((p) => [
        ['document.posted', p.id],
        ['stock.changed', p.id],
      ]),
    );
    const webhooks = await api<{ data: Array<{ id: string }> }>(serve.url, token, 'GET', '/api/v1/webhooks');
    for (const w of webhooks.data) {
      const log = await api<{ data: Array<{ status: string; attempts: number }> }>(serve.url, token, 'GET', `/api/v1/webhooks/${w.id}/deliveries`);
      expect(log.data.map((d) => [d.status, d.attempts])).toEqual([
        ['succeeded', 1],
        ['succeeded', 1],
        ['succeeded', 1],
      ]);
    }
  });
});
