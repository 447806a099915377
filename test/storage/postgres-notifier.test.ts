import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DELIVERY_CHANNEL, PgNotifier } from '../../src/storage/postgres/notifier.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/wait.js';

/**
 * The LISTEN connection of a PostgreSQL store (storage/postgres/notifier.ts), through a proxy the
 * test can cut and make refuse: a dropped connection is logged and made again, each refused
 * attempt is logged and tried again, and once listening again it wakes the dispatcher (whatever
 * was announced meanwhile is found by that wake's claim) and hears announcements as before. A
 * closed notifier tries nothing more.
 */
if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: the LISTEN connection comes back after it drops', () => {
    let fresh: Awaited<ReturnType<typeof freshDatabase>>;
    let proxy: TcpProxy;
    let sender: pg.Client;
    beforeAll(async () => {
      fresh = await freshDatabase('postgres');
      const real = new URL(fresh.url);
      proxy = await TcpProxy.start({ host: real.hostname, port: Number(real.port || 5432) });
      sender = new pg.Client({ connectionString: fresh.url });
      await sender.connect();
    });
    afterAll(async () => {
      await sender.end();
      await proxy.close();
      await fresh.drop();
    });

    it('is logged, tried again every second while refused, and wakes and hears announcements once back', async () => {
      const wakes: Array<string[] | undefined> = [];
      const logged: string[] = [];
      const n = await PgNotifier.start(proxy.url(fresh.url), (a) => wakes.push(a), (m) => logged.push(m));
      try {
        // Listening: one wake for what was announced before, then each announcement with its accounts.
        expect(wakes).toEqual([undefined]);
        await sender.query(`select pg_notify($1, 'acc-1,acc-2')`, [DELIVERY_CHANNEL]);
        await eventually(() => wakes.length === 2, 10_000, 10, 'the announcement heard');
        expect(wakes[1]).toEqual(['acc-1', 'acc-2']);

        proxy.refuse();
        await eventually(() => logged.filter((m) => m === 'LISTEN reconnect failed, trying again in 1 s').length >= 2, 20_000, 20, 'two refused reconnects');
        const announced = await sender.query(`select pg_notify($1, 'while-away')`, [DELIVERY_CHANNEL]);
        expect(announced.rowCount).toBe(1);

        proxy.accept();
        // Back: the wake that stands for whatever was announced while away ('while-away' reached nobody).
        await eventually(() => wakes.length === 3, 20_000, 20, 'the wake after reconnecting');
        expect(wakes[2]).toBeUndefined();
        await sender.query(`select pg_notify($1, 'acc-3')`, [DELIVERY_CHANNEL]);
        await eventually(() => wakes.length === 4, 10_000, 10, 'an announcement after reconnecting');
        expect(wakes).toEqual([undefined, ['acc-1', 'acc-2'], undefined, ['acc-3']]);
      } finally {
        await n.close();
      }
    });

    const retryOf = (n: PgNotifier) => (n as unknown as { retry: NodeJS.Timeout | null }).retry;

    it('a notifier closed while a reconnect is in flight sets no new timer when that attempt fails', async () => {
      const logged: string[] = [];
      proxy.accept();
      const n = await PgNotifier.start(proxy.url(fresh.url), () => {}, (m) => logged.push(m));
      proxy.hold();
      // The reconnect a second later reaches the proxy and waits there, unanswered.
      await eventually(() => proxy.holdingNow === 1, 20_000, 20, 'a reconnect in flight');
      await n.close();
      proxy.cut();
      await eventually(() => logged.includes('LISTEN reconnect failed, trying again in 1 s'), 20_000, 20, 'the attempt failed');
      // Closed: the failure is logged, and no attempt is scheduled after it.
      expect(retryOf(n)).toBeNull();
      proxy.accept();
    });

    it('a notifier closed while a reconnect is in flight ends that connection when it succeeds, and wakes nobody', async () => {
      const wakes: Array<string[] | undefined> = [];
      proxy.accept();
      const n = await PgNotifier.start(proxy.url(fresh.url), (a) => wakes.push(a), () => {});
      expect(wakes).toEqual([undefined]);
      proxy.hold();
      await eventually(() => proxy.holdingNow === 1, 20_000, 20, 'a reconnect in flight');
      await n.close();
      // The held connect goes through and listens; the closed notifier then ends it.
      proxy.release();
      await eventually(() => proxy.open === 0, 20_000, 20, 'the late connection ended');
      expect(wakes).toEqual([undefined]);
      expect(retryOf(n)).toBeNull();
      proxy.accept();
    });
  });
}
