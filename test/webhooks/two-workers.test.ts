import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase } from '../support/env.js';
import { eventually } from '../support/receiver.js';
import { connectionOwners } from '../support/sockets.js';

/**
 * Several worker processes share one PostgreSQL queue (FOR UPDATE SKIP LOCKED): one `--role api`
 * and two `--role worker` children, a real receiver, hundreds of deliveries. No delivery may be in
 * flight twice at once or be sent twice, none may be lost, and both workers must take part.
 *
 * Which worker sent a request is not in the request, so the receiver finds out from the kernel:
 * for each TCP connection it looks up the client end (127.0.0.1:<remotePort> -> receiver port) in
 * /proc/net/tcp, takes its socket inode, and finds the worker process holding that inode among its
 * file descriptors (/proc/<pid>/fd). Different processes never share these sockets.
 */

const DOCS = 150; // x (document.posted + stock.changed) = 300 events
const ADMIN = 'two-workers-admin-0123456789abcdef0123456789';

interface Conn {
  port: number;
  pid: number | null;
}

interface Hit {
  deliveryId: string;
  path: string;
  eventId: string;
  type: string;
  conn: Conn;
}

class TrackingReceiver {
  readonly hits: Hit[] = [];
  readonly conns: Conn[] = [];
  /** Requests currently in flight per webhook-id, and the most ever seen at once. */
  private readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  private readonly bySocket = new WeakMap<Socket, Conn>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<TrackingReceiver> {
    let self: TrackingReceiver | undefined;
    const server = createServer((req, res) => {
      const s = self as TrackingReceiver;
      // Counted from the moment the request arrives until its answer is written.
      const id = String(req.headers['webhook-id']);
      const now = (s.inFlight.get(id) ?? 0) + 1;
      s.inFlight.set(id, now);
      s.maxInFlight.set(id, Math.max(now, s.maxInFlight.get(id) ?? 0));
      let done = false;
      const finished = () => {
        if (done) return;
        done = true;
        s.inFlight.set(id, (s.inFlight.get(id) ?? 1) - 1);
      };
      res.on('finish', finished);
      res.on('close', finished);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; type: string };
        s.hits.push({ deliveryId: id, path: req.url ?? '', eventId: body.id, type: body.type, conn: s.bySocket.get(req.socket) as Conn });
        setTimeout(
          () => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true}');
          },
          1 + Math.floor(Math.random() * 10),
        );
      });
    });
    server.on('connection', (socket: Socket) => {
      const conn: Conn = { port: socket.remotePort ?? 0, pid: null };
      self?.conns.push(conn);
      self?.bySocket.set(socket, conn);
    });
    // Long keep-alive: connections stay open, so the kernel can still tell whose they are at the end.
    server.keepAliveTimeout = 120_000;
    self = new TrackingReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Attributes still-unattributed connections to one of `pids` through /proc (see the file comment). */
  async attribute(pids: number[]): Promise<void> {
    const open = this.conns.filter((c) => c.pid === null);
    if (open.length === 0) return;
    const owners = await connectionOwners(this.port, pids);
    for (const c of open) {
      const pid = owners.get(c.port);
      if (pid !== undefined) c.pid = pid;
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}


const hasPostgres = (inject('databases') as string[]).includes('postgres');

if (!hasPostgres) {
  describe('two worker processes on one PostgreSQL', () => {
    console.warn('two-workers.test.ts: skipped, PostgreSQL is not among the configured databases');
    it.skip('skipped: PostgreSQL is not among the configured databases (inject("databases")); workers only scale out on PostgreSQL', () => {});
  });
} else {
  describe('two worker processes on one PostgreSQL', () => {
    const children: Child[] = [];
    let rx: TrackingReceiver | undefined;
    let drop: (() => Promise<void>) | undefined;

    afterAll(async () => {
      await killAll(children);
      await rx?.close();
      await drop?.();
    }, 30_000);

    it('share the queue: every event delivered once, never concurrently, by both workers', { timeout: 600_000 }, async () => {
      const t0 = Date.now();
      const fresh = await freshDatabase('postgres');
      drop = fresh.drop;
      rx = await TrackingReceiver.start();
      const env = { STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1', STOCKHOOK_ADMIN_TOKEN: ADMIN };
      const args = (role: string) => ['serve', '--db', fresh.url, '--port', '0', '--role', role];

      // The api process migrates the fresh database first; workers then start on a ready schema.
      const apiProc = await startCli(args('api'), env);
      children.push(apiProc);
      const workerReady = { ready: /lease owner (\S+),/, timeoutMs: 30_000 };
      const workers = await Promise.all(
        [0, 1].map(async () => {
          const c = await startCli(args('worker'), env, workerReady);
          children.push(c);
          return c;
        }),
      );
      const workerPids = workers.map((w) => w.proc.pid as number);
      // The lease owner names the process: two different owners.
      expect(workers[0].url).not.toBe(workers[1].url);
      const startedAt = Date.now();

      const base = apiProc.url;
      const account = await api<{ token: string }>(base, ADMIN, 'POST', '/api/v1/accounts', { name: 'Two workers', plan: 'paid' }, 201);
      const token = account.token;
      const w = (await api<{ id: number }>(base, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).id;
      const p = (await api<{ id: number }>(base, token, 'POST', '/api/v1/products', { title: 'Widget', sku: 'W-1', code: '100' }, 201)).id;
      const subs = {
        stock: await api<{ id: string }>(base, token, 'POST', '/api/v1/webhooks', { url: rx.url('/stock'), events: ['stock.changed'] }, 201),
        docs: await api<{ id: string }>(base, token, 'POST', '/api/v1/webhooks', { url: rx.url('/docs'), events: ['document.posted'] }, 201),
        both: await api<{ id: string }>(
          base,
          token,
          'POST',
          '/api/v1/webhooks',
          { url: rx.url('/both'), events: ['stock.changed', 'document.posted'] },
          201,
        ),
      };

      // Attribute connections while the run goes on (and once more at the end).
      const scanner = setInterval(() => void rx?.attribute(workerPids), 100);
      try {
        let next = 0;
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (next < DOCS) {
              next++;
              await api(base, token, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 201);
            }
          }),
        );
        const postedAt = Date.now();

        const events = await api<{ data: Array<{ id: string; type: string }> }>(base, token, 'GET', '/api/v1/events?type=stock.changed,document.posted&limit=1000');
        expect(events.data).toHaveLength(2 * DOCS);
        const ofType = (t: string) => events.data.filter((e) => e.type === t).map((e) => e.id);
        const expected = new Map<string, string[]>([
          ['/stock', ofType('stock.changed')],
          ['/docs', ofType('document.posted')],
          ['/both', events.data.map((e) => e.id)],
        ]);
        const total = [...expected.values()].reduce((n, ids) => n + ids.length, 0);
        expect(total).toBe(4 * DOCS);

        await eventually(() => rx!.hits.length >= total, 30_000, 10);
        const deliveredAt = Date.now();
        // Results are written in batches: wait for every row to read succeeded.
        for (const sub of Object.values(subs)) {
          await eventually(async () => {
            const page = await api<{ data: Array<{ status: string }> }>(base, token, 'GET', `/api/v1/webhooks/${sub.id}/deliveries?limit=500`);
            return page.data.length > 0 && page.data.every((d) => d.status === 'succeeded');
          }, 10_000, 50);
        }
        await rx.attribute(workerPids);
        // A stopped process sends nothing more: once all three have finished what they had in
        // flight and exited, anything sent late (a double send) has arrived.
        for (const c of [...workers, apiProc]) c.proc.kill('SIGTERM');
        expect(await Promise.all([...workers, apiProc].map((c) => c.exited))).toEqual([0, 0, 0]);

        // Every event delivered to every subscription that wants it, nothing else.
        for (const [path, ids] of expected) {
          const got = rx.hits.filter((h) => h.path === path).map((h) => h.eventId);
          expect(got.slice().sort(), path).toEqual(ids.slice().sort());
        }
        // No delivery id twice, and never two requests of one delivery in flight at once.
        const distinct = new Set(rx.hits.map((h) => h.deliveryId));
        expect(rx.hits).toHaveLength(total);
        expect(distinct.size).toBe(total);
        expect(Math.max(...rx.maxInFlight.values())).toBe(1);

        // Both workers sent, the api process sent nothing: every request's connection belongs to a worker.
        const perPid = new Map<number | null, number>();
        for (const h of rx.hits) perPid.set(h.conn.pid, (perPid.get(h.conn.pid) ?? 0) + 1);
        const unattributed = perPid.get(null) ?? 0;
        expect(unattributed, 'requests on connections not found in any worker').toBe(0);
        expect([...perPid.keys()].sort()).toEqual(workerPids.slice().sort());
        for (const pid of workerPids) expect(perPid.get(pid) ?? 0).toBeGreaterThan(0);

        console.info(
          `[two-workers] deliveries=${total} requests=${rx.hits.length} duplicates=${rx.hits.length - distinct.size} ` +
            `per worker=${workerPids.map((pid) => perPid.get(pid) ?? 0).join('/')} connections=${rx.conns.length} ` +
            `startup=${startedAt - t0}ms posting=${postedAt - startedAt}ms posted->all delivered=${deliveredAt - postedAt}ms total=${Date.now() - t0}ms`,
        );
      } finally {
        clearInterval(scanner);
      }
    });
  });
}
