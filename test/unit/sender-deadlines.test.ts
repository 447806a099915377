import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Sender } from '../../src/delivery/sender.js';
import { RequestDeadlines } from '../../src/delivery/request-deadlines.js';
import { eventually } from '../support/wait.js';

/** Each drip the receiver began: how many bytes it wrote, and whether it wrote them all before the close. */
const drips: Array<{ wrote: number; closed: boolean; finished: boolean }> = [];

/** A receiver that answers at once, or never, or drips its body one byte every 100 ms for 5 s. */
function receiver(): Promise<{ server: Server; url: (p: string) => string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/ok') return res.end('{"ok":true}');
      if (req.url === '/silent') return; // never answers
      res.writeHead(200, { 'content-type': 'text/plain' });
      const drip = { wrote: 0, closed: false, finished: false };
      drips.push(drip);
      let n = 0;
      const t = setInterval(() => {
        if (res.destroyed || ++n > 50) {
          clearInterval(t);
          if (!res.destroyed) res.end();
          return;
        }
        res.write('x');
        drip.wrote++;
      }, 100);
      res.on('close', () => {
        clearInterval(t);
        drip.finished = res.writableFinished;
        drip.closed = true;
      });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: (p) => `http://127.0.0.1:${port}${p}` });
    }),
  );
}

describe('the total timeout of an attempt (one timer for every request in flight)', () => {
  let r: Awaited<ReturnType<typeof receiver>>;
  const sender = new Sender({ allowPrivateTargets: true });
  beforeAll(async () => {
    r = await receiver();
  });
  afterAll(async () => {
    await sender.close();
    r.server.closeAllConnections();
    await new Promise((resolve) => r.server.close(resolve));
  });

  it('a body that keeps dripping past the timeout ends the attempt as a timeout (the idle timers alone never would)', async () => {
    const t0 = Date.now();
    const out = await sender.send('acc', r.url('/drip'), { 'content-type': 'application/json' }, '{}', 600);
    const took = Date.now() - t0;
    expect(out).toMatchObject({ ok: false, kind: 'timeout' });
    // Not before its deadline; and before the receiver had dripped its whole body: the attempt
    // closed the connection on it (an order of events, not a bound on the time it took).
    expect(took).toBeGreaterThanOrEqual(590);
    const drip = drips.at(-1)!;
    await eventually(() => drip.closed, 10_000, 10, 'the drip closed');
    expect(drip.finished).toBe(false);
    expect(drip.wrote).toBeLessThan(50);
    expect(sender.deadlines.pending).toBe(0);
  });

  it('a receiver that never answers times out; answered requests leave nothing watched', async () => {
    const [silent, ...ok] = await Promise.all([
      sender.send('acc', r.url('/silent'), {}, '{}', 300),
      ...Array.from({ length: 20 }, () => sender.send('acc', r.url('/ok'), {}, '{}', 5_000)),
    ]);
    expect(silent).toMatchObject({ ok: false, kind: 'timeout' });
    for (const o of ok) expect(o).toMatchObject({ ok: true, status: 200, body: '{"ok":true}' });
    expect(sender.deadlines.pending).toBe(0);
  });

  it('fires only deadlines that have passed, each once, and stops its timer when none is left', () => {
    const d = new RequestDeadlines();
    const now = Date.now();
    const early = d.start(100, now);
    const late = d.start(10_000, now);
    const fired: string[] = [];
    early.addEventListener('abort', () => fired.push('early'));
    late.addEventListener('abort', () => fired.push('late'));
    d.sweep(now + 50);
    expect(fired).toEqual([]);
    d.sweep(now + 200);
    expect(fired).toEqual(['early']);
    expect(early.aborted).toBe(true);
    expect([early.reason?.name, early.reason?.message]).toEqual(['TimeoutError', 'The operation was aborted due to timeout']);
    expect(d.pending).toBe(1);
    d.end(late);
    expect(d.pending).toBe(0);
    d.sweep(now + 20_000);
    expect(fired).toEqual(['early']);
    d.close();
  });

  it('a deadline that passes before its request listens is marked aborted, and the sweep goes on to the others', () => {
    const d = new RequestDeadlines();
    const now = Date.now();
    const unheard = d.start(100, now);
    const heard = d.start(100, now);
    const fired: string[] = [];
    heard.addEventListener('abort', () => fired.push('heard'));
    d.sweep(now + 200);
    expect([unheard.aborted, heard.aborted, fired]).toEqual([true, true, ['heard']]);
    d.close();
  });

  it('keeps one timer however many requests start, and none once it is closed or nothing is in flight', () => {
    vi.useFakeTimers();
    try {
      const d = new RequestDeadlines();
      d.start(100);
      d.start(200);
      d.start(300);
      expect(vi.getTimerCount()).toBe(1);
      d.close();
      expect(vi.getTimerCount()).toBe(0);
      // A sweep that leaves nothing in flight stops the timer; one that leaves a request keeps it.
      const now = Date.now();
      const ended = d.start(100, now);
      const waiting = d.start(1_000, now);
      d.end(ended);
      d.sweep(now + 200);
      expect(vi.getTimerCount()).toBe(1);
      d.end(waiting);
      d.sweep(now + 2_000);
      expect(vi.getTimerCount()).toBe(0);
      // An ended request leaves no bucket behind: the next sweep, before its deadline, stops the timer.
      const early = d.start(1_000, now);
      d.end(early);
      d.sweep(now + 1);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
