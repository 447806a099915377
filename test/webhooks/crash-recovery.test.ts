import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { eventually } from '../support/receiver.js';

/**
 * A worker killed with SIGKILL mid-stream loses nothing: after a restart on the same database every
 * event is delivered, each delivery keeps its id (webhook-id) and its body bytes, and whatever was
 * in flight at the moment of the kill is sent again (at-least-once).
 */

const N = 60;
const LEASE_MS = 1500;
const ADMIN = 'crash-recovery-admin-0123456789abcdef0123456789';
/** Per-request delay before the kill: slow enough that deliveries are still streaming when it happens. */
const SLOW_MS = 50;
/** Low per-endpoint concurrency: 60 deliveries at 3 x 50 ms take ~1 s, with a few always in flight. */
const MAX_IN_FLIGHT = 3;

interface Hit {
  deliveryId: string;
  eventId: string;
  body: string;
  /** 0 before the kill, 1 after it. */
  phase: number;
  /** Set just before the response is written (so a kill after it may or may not have seen the answer). */
  answered: boolean;
}

/** Records every request; in the same event loop as the test, so a snapshot taken right after kill() is exact. */
class Sink {
  readonly hits: Hit[] = [];
  phase = 0;
  delayMs = SLOW_MS;
  /** Answers wait for this: held while the documents are posted, so the backlog exists however slow the machine is. */
  held: Promise<void> = Promise.resolve();
  /** When this many distinct events have arrived, answers stop (held forever): the worker is killed then, with requests unanswered. */
  freezeAt: number | null = null;
  frozen = false;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Sink> {
    let self: Sink | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s = self as Sink;
        const body = Buffer.concat(chunks).toString('utf8');
        const hit: Hit = {
          deliveryId: String(req.headers['webhook-id']),
          eventId: (JSON.parse(body) as { id: string }).id,
          body,
          phase: s.phase,
          answered: false,
        };
        s.hits.push(hit);
        if (s.freezeAt !== null && !s.frozen && s.distinctEvents().size >= s.freezeAt) {
          s.frozen = true;
          s.held = new Promise<void>(() => {});
        }
        void s.held.then(() =>
          setTimeout(() => {
            if (res.destroyed || req.socket.destroyed) return;
            hit.answered = true;
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true}');
          }, s.delayMs),
        );
      });
    });
    // The killed worker's sockets die under us: that is the point, not an error.
    server.on('clientError', (_err, socket) => socket.destroy());
    self = new Sink(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  distinctEvents(): Set<string> {
    return new Set(this.hits.map((h) => h.eventId));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}



for (const db of inject('databases') as DbName[]) {
  describe(`crash recovery with child processes [${db}]`, () => {
    const children: Child[] = [];
    let sink: Sink | undefined;
    let drop: (() => Promise<void>) | undefined;

    afterAll(async () => {
      await killAll(children);
      await sink?.close();
      await drop?.();
    }, 30_000);

    it('a SIGKILLed worker loses no event; re-sent deliveries keep their id and body', { timeout: 600_000 }, async () => {
      const t0 = Date.now();
      const fresh = await freshDatabase(db);
      drop = fresh.drop;
      sink = await Sink.start();
      const env = { STOCKHOOK_DELIVERY_LEASE_MS: String(LEASE_MS), STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1', STOCKHOOK_ADMIN_TOKEN: ADMIN };
      const args = ['serve', '--db', fresh.url, '--port', '0', '--role', 'all'];

      const first = await startCli(args, env);
      children.push(first);
      const account = await api<{ id: string; token: string }>(first.url, ADMIN, 'POST', '/api/v1/accounts', { name: 'Crash', plan: 'paid' }, 201);
      const token = account.token;
      const w = (await api<{ id: number }>(first.url, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).id;
      const p = (await api<{ id: number }>(first.url, token, 'POST', '/api/v1/products', { title: 'Widget', sku: 'W-1', code: '100' }, 201)).id;
      const sub = await api<{ id: string }>(
        first.url,
        token,
        'POST',
        '/api/v1/webhooks',
        { url: sink.url('/crash'), events: ['stock.changed'], maxInFlight: MAX_IN_FLIGHT },
        201,
      );

      // Four posters at a time, while the endpoint holds its answers (at most MAX_IN_FLIGHT requests
      // wait): all N deliveries are committed before more than a handful can have been answered.
      let release = () => {};
      sink.held = new Promise<void>((r) => (release = r));
      const postingFrom = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < N) {
            next++;
            await api(first.url, token, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 201);
          }
        }),
      );
      const postedAt = Date.now();
      const seenWhilePosting = sink.hits.length;
      expect(seenWhilePosting).toBeLessThanOrEqual(MAX_IN_FLIGHT);
      // From the 20th event on nothing is answered: the kill below lands with requests in flight.
      sink.freezeAt = 20;
      release();
      await eventually(() => sink!.frozen, 10_000, 2);

      first.proc.kill('SIGKILL');
      const killedAt = Date.now();
      // Same tick as the kill: no response can be written between the two.
      const beforeKill = sink.hits.slice();
      const unanswered = beforeKill.filter((h) => !h.answered);
      expect(unanswered.length, 'requests in flight at the kill').toBeGreaterThan(0);
      sink.phase = 1;
      sink.delayMs = 5;
      sink.freezeAt = null;
      sink.held = Promise.resolve();
      const seenBeforeKill = new Set(beforeKill.map((h) => h.eventId)).size;
      expect(await first.exited).toBeNull(); // killed by a signal, no exit code
      expect(seenBeforeKill, 'the kill must land mid-stream').toBeLessThan(N);

      const second = await startCli(args, env);
      children.push(second);
      const restartedAt = Date.now();
      await eventually(() => sink!.distinctEvents().size >= N, 20_000, 10);
      const allArrivedAt = Date.now();

      // Every delivery row ends succeeded (results are written in batches, so allow a moment).
      type DeliveryRow = { id: string; eventId: string; status: string; attempts: number };
      const deliveries = (await eventually(async () => {
        const page = await api<{ data: DeliveryRow[] }>(
          second.url,
          token,
          'GET',
          `/api/v1/webhooks/${sub.id}/deliveries?limit=500`,
        );
        return page.data.length === N && page.data.every((d) => d.status === 'succeeded') ? page.data : null;
      }, 10_000, 50)) as DeliveryRow[];

      // The set of event ids received is exactly the event log's stock.changed events: none lost, none invented.
      const events = await api<{ data: Array<{ id: string; type: string }> }>(second.url, token, 'GET', '/api/v1/events?type=stock.changed&limit=1000');
      expect(events.data).toHaveLength(N);
      const expected = events.data.map((e) => e.id).sort();
      expect([...sink.distinctEvents()].sort()).toEqual(expected);
      expect(deliveries.map((d) => d.eventId).sort()).toEqual(expected);

      // One delivery id per event, stable across attempts: N distinct webhook-ids, each always with the same event and body.
      const byDelivery = new Map<string, Hit[]>();
      for (const h of sink.hits) byDelivery.set(h.deliveryId, [...(byDelivery.get(h.deliveryId) ?? []), h]);
      expect(byDelivery.size).toBe(N);
      expect([...byDelivery.keys()].sort()).toEqual(deliveries.map((d) => d.id).sort());
      for (const [id, hs] of byDelivery) {
        for (const h of hs) {
          expect(h.eventId, id).toBe(hs[0].eventId);
          expect(h.body, id).toBe(hs[0].body);
        }
      }
      const byEvent = new Map<string, Set<string>>();
      for (const h of sink.hits) byEvent.set(h.eventId, (byEvent.get(h.eventId) ?? new Set()).add(h.deliveryId));
      expect([...byEvent.values()].every((ids) => ids.size === 1)).toBe(true);

      // What the receiver had not answered when the worker died was never confirmed, so it must come again, same id.
      for (const h of unanswered) {
        expect(sink.hits.some((x) => x.phase === 1 && x.deliveryId === h.deliveryId), `delivery ${h.deliveryId} re-sent after the crash`).toBe(true);
      }
      // Events the dead worker never sent arrived after the restart.
      expect(sink.hits.filter((h) => h.phase === 1).length).toBeGreaterThanOrEqual(N - seenBeforeKill);

      const duplicates = sink.hits.length - byDelivery.size;
      console.info(
        `[crash-recovery ${db}] N=${N} seen before kill=${seenBeforeKill} in flight at kill=${unanswered.length} ` +
          `requests=${sink.hits.length} duplicates=${duplicates} ` +
          `posting=${postedAt - postingFrom}ms restart=${restartedAt - killedAt}ms kill->all arrived=${allArrivedAt - killedAt}ms total=${Date.now() - t0}ms`,
      );

      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    });
  });
}
