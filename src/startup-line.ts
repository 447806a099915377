import type { Role } from './config.js';

export interface StartupFacts {
  role: Role;
  /** Where the API listens; null for role worker. */
  url: string | null;
  /** databaseLabel(): never a password. */
  database: string;
  /** The delivery worker's lease owner, when this process delivers. */
  deliveryOwner?: string;
}

/**
 * The one line a person reads when stockhook starts: where it listens, on which database, in which
 * role, and where the dashboard and the API docs are.
 *
 * @example
 *   startupLine({ role: 'all', url: 'http://127.0.0.1:3000', database: 'SQLite /srv/data/stockhook.db' })
 *   // 'stockhook all on http://127.0.0.1:3000, database SQLite /srv/data/stockhook.db, dashboard http://127.0.0.1:3000/ui, API docs http://127.0.0.1:3000/docs'
 */
export function startupLine(f: StartupFacts): string {
  if (!f.url) return `stockhook ${f.role} (no HTTP in this role), lease owner ${f.deliveryOwner ?? 'none'}, database ${f.database}`;
  return `stockhook ${f.role} on ${f.url}, database ${f.database}, dashboard ${f.url}/ui, API docs ${f.url}/docs`;
}
