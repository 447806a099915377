import { isPostgresUrl } from './database-url.js';
import { openPostgresStore } from './postgres/open.js';
import { openSqliteStore } from './sqlite/open.js';
import type { Store, StoreOptions } from './store.js';

export type { Db, Notifier, Pooler, Store, StorageLog, StoreOptions, Tx } from './store.js';
export { POOLERS } from './store.js';
export { migrate } from './migrate.js';

/**
 * Opens the store of the database the URL names (a postgres:// URL, else a SQLite file or
 * `:memory:`) and migrates it unless told not to. Each database has its own builder.
 */
export const openStore = (url: string, opts: StoreOptions = {}): Promise<Store> =>
  isPostgresUrl(url) ? openPostgresStore(url, opts) : openSqliteStore(url, opts);
