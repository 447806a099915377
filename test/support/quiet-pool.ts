import pg from 'pg';

/**
 * A pool whose connections may be ended by PostgreSQL when the test drops its database WITH (FORCE)
 * (57P01): an idle client reports that as the pool's 'error' event, an uncaught exception without a
 * listener.
 */
export function quietPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  return pool;
}
