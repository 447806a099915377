import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sender } from '../../src/delivery/sender.js';
import { eventually } from '../support/wait.js';

/** A receiver on loopback: /silent never answers (until the test ends), anything else answers at once. */
function receiver(): Promise<{ server: Server; url: (p: string) => string; sockets: Socket[]; silent: ServerResponse[] }> {
  const sockets: Socket[] = [];
  const silent: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/silent') return void silent.push(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"path":${JSON.stringify(req.url)}}`);
    });
  });
  server.on('connection', (s: Socket) => sockets.push(s));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: (p) => `http://127.0.0.1:${port}${p}`, sockets, silent });
    }),
  );
}

describe('connections are per account and origin', () => {
  let r: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    r = await receiver();
  });
  afterAll(async () => {
    for (const res of r.silent) res.destroy();
    r.server.closeAllConnections();
    await new Promise((resolve) => r.server.close(resolve));
  });

  it("one account's hanging request does not hold the connection another account needs to the same origin", async () => {
    // One connection per pool: with one pool per origin, B's request would wait behind A's until A's timed out.
    const sender = new Sender({ allowPrivateTargets: true, connectionsPerPool: 1 });
    try {
      let aSettled = false;
      const a = sender.send('account-a', r.url('/silent'), {}, '{}', 60_000).finally(() => (aSettled = true));
      await eventually(() => r.silent.length === 1, 10_000, 5, "A's request at the receiver");
      const b = await sender.send('account-b', r.url('/ok'), {}, '{}', 60_000);
      expect(b).toMatchObject({ ok: true, status: 200, body: '{"path":"/ok"}' });
      // B was answered while A's request still held its connection.
      expect(aSettled).toBe(false);
      expect(sender.poolCount).toBe(2);
      r.silent[0].destroy();
      expect(await a).toMatchObject({ ok: false, kind: 'reset' });
    } finally {
      await sender.close();
    }
  });

  it('close() ends the requests in flight and closes every connection, idle ones too', async () => {
    const sender = new Sender({ allowPrivateTargets: true });
    r.silent.length = 0;
    const before = r.sockets.length;
    expect(await sender.send('idle', r.url('/one'), {}, '{}', 60_000)).toMatchObject({ ok: true, status: 200 });
    const idleSocket = r.sockets[before];
    const inFlight = sender.send('busy', r.url('/silent'), {}, '{}', 60_000);
    await eventually(() => r.silent.length === 1, 10_000, 5, 'the request in flight at the receiver');
    await sender.close();
    // Without close() destroying its pools, both would wait for the receiver (the deadline is a minute away).
    expect(await inFlight).toMatchObject({ ok: false });
    await new Promise<void>((resolve) => (idleSocket.destroyed ? resolve() : idleSocket.once('close', () => resolve())));
    expect(sender.poolCount).toBe(0);
  });

  it('a pool nothing used for poolIdleMs is closed, with its connections; one with a request in flight is kept', async () => {
    let now = 1_000_000;
    // Not the default (60 s): the option itself must be what closes the pool.
    const sender = new Sender({ allowPrivateTargets: true, poolIdleMs: 5_000, now: () => now });
    r.silent.length = 0;
    try {
      const before = r.sockets.length;
      expect(await sender.send('idle', r.url('/one'), {}, '{}', 60_000)).toMatchObject({ ok: true, status: 200 });
      const idleSocket = r.sockets[before];
      let held = false;
      const busy = sender.send('busy', r.url('/silent'), {}, '{}', 60_000).finally(() => (held = true));
      await eventually(() => r.silent.length === 1, 10_000, 5, "the busy account's request at the receiver");
      expect(sender.poolCount).toBe(2);
      now += 5_000;
      // The next send sweeps: the idle account's pool goes and closes its keep-alive connection.
      expect(await sender.send('other', r.url('/two'), {}, '{}', 60_000)).toMatchObject({ ok: true, status: 200 });
      expect(sender.poolCount).toBe(2);
      await new Promise<void>((resolve) => (idleSocket.destroyed ? resolve() : idleSocket.once('close', () => resolve())));
      expect(held).toBe(false);
      // The idle account's next send opens a pool again.
      expect(await sender.send('idle', r.url('/three'), {}, '{}', 60_000)).toMatchObject({ ok: true, status: 200 });
      expect(sender.poolCount).toBe(3);
      r.silent[0].destroy();
      await busy;
    } finally {
      await sender.close();
    }
  });
});
