import { expect, it } from 'vitest';
import { days, DEFAULT_RETENTION } from '../../src/retention/policy.js';
import { startPruner } from '../../src/retention/pruner.js';
import { describeEachDb } from '../support/env.js';
import { call, product, warehouse } from '../support/fixtures.js';
import { LEVEL, recordingLogger } from '../support/log-records.js';

/* Each retention round logs `retention.pass` at info with the rows it deleted per table. */

const T0 = Date.parse('2026-03-01T00:00:00Z');
const clock = { ms: T0 };

describeEachDb(
  'retention log records',
  (env) => {
    it('retention.pass carries the counts the round deleted', async () => {
      clock.ms = T0;
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] }, 201);
      // Past the events' 90 days: this account's events expire.
      clock.ms = T0 + days(100);
      const rec = recordingLogger();
      const pruner = startPruner(env().store, DEFAULT_RETENTION, { now: () => clock.ms, events: rec.logger, intervalMs: 3_600_000 });
      try {
        const counts = await pruner.runOnce();
        expect(counts.events).toBeGreaterThanOrEqual(3);
        const second = await pruner.runOnce();
        expect(second).toEqual({ events: 0, deliveries: 0, attempts: 0 });
        expect(rec.withCode('retention.pass')).toMatchObject([
          { level: LEVEL.info, ...counts, ms: expect.any(Number) },
          { level: LEVEL.info, events: 0, deliveries: 0, attempts: 0 },
        ]);
        expect(rec.withCode('retention.pass')[0].msg).toMatch(
          new RegExp(`^retention: deleted ${counts.events} events, ${counts.deliveries} deliveries, ${counts.attempts} attempt logs past their retention in \\d+ ms$`),
        );
      } finally {
        await pruner.stop();
      }
    });
  },
  { now: () => clock.ms },
);
