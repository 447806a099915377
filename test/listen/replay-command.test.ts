import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { replayCommand } from '../../src/client/replay-command.js';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { Receiver } from '../support/receiver.js';

describeEachDb(
  'stockhook replay (the CLI command behind it)',
  (env) => {
    let rx: Receiver;
    let base: string;
    beforeAll(async () => {
      rx = await Receiver.start();
      await env().app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(env().app.server.address() as AddressInfo).port}`;
    });
    afterAll(async () => rx.close());

    it('starts a replay over HTTP and prints progress until it is done', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const since = new Date().toISOString();
      // 550 documents = 1,100 events: three pages of 500, so progress moves in steps.
      for (let i = 0; i < 550; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/replayed'), events: ['document.posted'] }, 201);
      const lines: string[] = [];
      const job = await replayCommand({ url: base, token: a.token, webhook: sub.body.id, since, intervalMs: 5, out: { write: (s: string) => lines.push(s) } });
      expect(job).toMatchObject({ status: 'done', eventsTotal: 1100, eventsDone: 1100, deliveries: 550 });
      expect(lines.at(-1)).toBe(`replay ${job.id}: [####################] 100% 1100/1100 events, 550 deliveries, done\n`);
      expect(lines[0]).toMatch(/^replay [0-9a-f-]{36}: \[\.{20}\]   0% 0\/1100 events, 0 deliveries, running\n$/);
      await expect(replayCommand({ url: base, token: a.token, webhook: '00000000-0000-4000-8000-000000000000', since, out: { write: () => 0 } })).rejects.toThrow(/HTTP 404/);
    });
  },
  { dispatcher: { pollMs: 100 } },
);
