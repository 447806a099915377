import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../storage/database.js';
import type { BreakerState } from './breaker/index.js';

/** What breaker gauges read at scrape time: the dispatcher's breakers, or the last counts a dispatcher thread sent. */
export interface BreakerCounts {
  counts(now: number): Record<BreakerState, number>;
}

/** What a dispatcher reports: DeliveryMetrics in-process, a forwarder in a dispatcher thread. */
/** `running` once it is ready; `restarting` after it exited or stalled, until the next one is ready. */
export type DeliveryThreadState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface AttemptMetrics {
  recordAttempt(format: string, outcome: string, seconds: number): void;
  watchBreakers(b: BreakerCounts): void;
}

/**
 * Prometheus metrics. One registry per process role (not prom-client's global one), so tests can
 * build many apps in one process. Queue gauges are read from the database at scrape time: the
 * database is the queue, shared by every worker.
 */
export class DeliveryMetrics implements AttemptMetrics {
  readonly registry = new Registry();
  readonly attemptSeconds: Histogram<'format' | 'outcome'>;
  readonly attempts: Counter<'format' | 'outcome'>;
  /** Rows deleted by the retention pruner of this process (retention/), per table. */
  readonly rowsPruned: Counter<'table'>;
  private breakers: BreakerCounts | null = null;
  private threadState: (() => DeliveryThreadState) | null = null;

  constructor(store: Store) {
    this.attemptSeconds = new Histogram({
      name: 'stockhook_attempt_duration_seconds',
      help: 'Duration of webhook HTTP attempts',
      labelNames: ['format', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [this.registry],
    });
    this.attempts = new Counter({
      name: 'stockhook_attempts_total',
      help: 'Webhook HTTP attempts by outcome',
      labelNames: ['format', 'outcome'],
      registers: [this.registry],
    });
    this.rowsPruned = new Counter({
      name: 'stockhook_rows_pruned_total',
      help: 'Rows deleted by retention, by table',
      labelNames: ['table'],
      registers: [this.registry],
    });
    for (const table of ['events', 'deliveries', 'attempts']) this.rowsPruned.inc({ table }, 0);
    new Gauge({
      name: 'stockhook_database_size_bytes',
      help: 'Size of the database on disk',
      registers: [this.registry],
      async collect() {
        this.set(await store.sizeBytes());
      },
    });
    new Gauge({
      name: 'stockhook_deliveries',
      help: 'Deliveries by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const rows = await store.db
          .selectFrom('deliveries')
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute();
        this.reset();
        for (const s of ['pending', 'succeeded', 'failed', 'dropped', 'held', 'cancelled']) {
          this.set({ status: s }, Number(rows.find((r) => r.status === s)?.n ?? 0));
        }
      },
    });
    new Gauge({
      name: 'stockhook_queue_depth',
      help: 'Pending deliveries that are due now',
      registers: [this.registry],
      async collect() {
        const row = await store.db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'pending')
          .where('next_attempt_ms', '<=', Date.now())
          .executeTakeFirst();
        this.set(Number(row?.n ?? 0));
      },
    });
    new Gauge({
      name: 'stockhook_oldest_pending_age_seconds',
      help: 'Age of the oldest pending delivery',
      registers: [this.registry],
      async collect() {
        const row = await store.db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.min('created_ms').as('t'))
          .where('status', '=', 'pending')
          .executeTakeFirst();
        this.set(row?.t == null ? 0 : Math.max(0, (Date.now() - Number(row.t)) / 1000));
      },
    });
    new Gauge({
      name: 'stockhook_endpoints_paused',
      help: 'Endpoints whose circuit breaker is open for every worker (shared through the database)',
      registers: [this.registry],
      async collect() {
        const row = await store.db
          .selectFrom('webhooks')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('paused_until_ms', 'is not', null)
          .executeTakeFirst();
        this.set(Number(row?.n ?? 0));
      },
    });
    const self = this;
    new Gauge({
      name: 'stockhook_breakers',
      help: 'Endpoints by circuit breaker state, as seen by this worker',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts = self.breakers?.counts(Date.now()) ?? { closed: 0, open: 0, 'half-open': 0 };
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  watchBreakers(b: BreakerCounts): void {
    this.breakers = b;
  }

  /**
   * Role all: the delivery thread's state as its host sees it (delivery-thread-host.ts), for
   * readiness (/readyz): the HTTP layer reaches the delivery side only through this object.
   */
  watchDeliveryThread(state: () => DeliveryThreadState): void {
    this.threadState = state;
  }

  /** The delivery thread's state, or null when this process runs none (in-process dispatcher, role api). */
  deliveryThreadState(): DeliveryThreadState | null {
    return this.threadState?.() ?? null;
  }

  recordPruned(counts: Record<string, number>): void {
    for (const [table, n] of Object.entries(counts)) this.rowsPruned.inc({ table }, n);
  }

  recordAttempt(format: string, outcome: string, seconds: number): void {
    this.attemptSeconds.observe({ format, outcome }, seconds);
    this.attempts.inc({ format, outcome });
  }
}
