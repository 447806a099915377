import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import type { WriteTurn } from './write-turn.js';

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);
const RAW_WRITE = /^\s*(insert|update|delete|replace|create|drop|alter)\b/i;

/**
 * A SQLite dialect whose writes wait for their WriteTurn (write-turn.ts) before they reach SQLite's
 * lock: a transaction holds the turn from BEGIN to COMMIT or ROLLBACK, a write outside one for
 * its own statement. Reads never wait: WAL lets them run beside any writer.
 */
export function turnTakingDialect(inner: Dialect, turn: WriteTurn): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => new TurnTakingDriver(inner.createDriver(), turn),
  };
}

class TurnTakingDriver implements Driver {
  private connection: TurnTakingConnection | null = null;

  constructor(
    private readonly inner: Driver,
    private readonly turn: WriteTurn,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const conn = await this.inner.acquireConnection();
    // SQLite's driver has one connection; wrap it once so the turn it holds is remembered.
    if (this.connection?.inner !== conn) this.connection = new TurnTakingConnection(conn, this.turn);
    return this.connection;
  }

  beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(conn, settings);
  }

  commitTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(conn);
  }

  rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(conn);
  }

  releaseConnection(conn: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((conn as TurnTakingConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

class TurnTakingConnection implements DatabaseConnection {
  /** Inside BEGIN ... COMMIT/ROLLBACK, holding the turn. */
  private holding = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly turn: WriteTurn,
  ) {}

  async executeQuery<R>(cq: CompiledQuery): Promise<QueryResult<R>> {
    const text = cq.sql.trim().toLowerCase();
    if (this.holding) {
      if (text === 'commit') {
        const r = await this.inner.executeQuery<R>(cq);
        // A failed COMMIT keeps the transaction (and the turn) until the ROLLBACK that follows.
        this.end();
        return r;
      }
      if (text === 'rollback') {
        try {
          return await this.inner.executeQuery<R>(cq);
        } finally {
          this.end();
        }
      }
      return this.inner.executeQuery<R>(cq);
    }
    if (text.startsWith('begin')) {
      await this.turn.acquire();
      this.holding = true;
      try {
        return await this.inner.executeQuery<R>(cq);
      } catch (err) {
        this.end();
        throw err;
      }
    }
    if (!WRITE_NODES.has(cq.query.kind) && !(cq.query.kind === 'RawNode' && RAW_WRITE.test(text))) return this.inner.executeQuery<R>(cq);
    await this.turn.acquire();
    try {
      return await this.inner.executeQuery<R>(cq);
    } finally {
      this.turn.release();
    }
  }

  streamQuery<R>(cq: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(cq, chunkSize);
  }

  private end(): void {
    this.holding = false;
    this.turn.release();
  }
}
