import pg from 'pg';
import { announcedAccounts } from './announcer.js';
import type { Notifier } from '../store.js';

/** The PostgreSQL channel that announces new due deliveries. */
export const DELIVERY_CHANNEL = 'stockhook_deliveries';

export type { Notifier } from '../store.js';

const RECONNECT_MS = 1000;

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to queries). When the connection
 * drops it reconnects every second until it succeeds, logging each failure; the dispatcher's poll
 * covers the gap, so a lost notification delays work by at most one poll interval.
 */
export class PgNotifier implements Notifier {
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  private constructor(
    private readonly url: string,
    private readonly onNotify: (accounts?: string[]) => void,
    private readonly log: (msg: string, err?: unknown) => void,
  ) {}

  /** Resolves once listening; a first connection that fails throws (the server must not start blind). */
  static async start(url: string, onNotify: (accounts?: string[]) => void, log: (msg: string, err?: unknown) => void): Promise<PgNotifier> {
    const n = new PgNotifier(url, onNotify, log);
    await n.connect();
    return n;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (msg) => this.onNotify(announcedAccounts(msg.payload)));
    client.on('error', (err) => this.log('LISTEN connection failed', err));
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = null;
      if (!this.closed) this.scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`listen ${DELIVERY_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    // Whatever was announced while we were away is found by this wake-up's claim.
    this.onNotify();
  }

  private scheduleReconnect(): void {
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect().catch((err: unknown) => {
        this.log('LISTEN reconnect failed, trying again in 1 s', err);
        if (!this.closed) this.scheduleReconnect();
      });
    }, RECONNECT_MS);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}
