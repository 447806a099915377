import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseLabel } from '../../src/storage/database-label.js';

/** What the startup line shows of the database: never a credential. */
describe('databaseLabel', () => {
  it.each([
    { url: ':memory:', label: 'SQLite in memory' },
    { url: 'data/stock.db', label: `SQLite ${resolve('data/stock.db')}` },
    { url: '/var/lib/stockhook/stock.db', label: 'SQLite /var/lib/stockhook/stock.db' },
    { url: 'postgres://app:hunter2@db.internal:5432/stock', label: 'PostgreSQL postgres://app:***@db.internal:5432/stock' },
    { url: 'postgresql://app@db.internal/stock', label: 'PostgreSQL postgresql://app@db.internal/stock' },
    {
      url: 'postgres://db.internal/stock?sslpassword=p1&application_name=sh&api_key=k&Token=t&secret=s',
      label: 'PostgreSQL postgres://db.internal/stock?sslpassword=***&application_name=sh&api_key=***&Token=***&secret=***',
    },
    { url: 'postgres://app:hunter2@[bad', label: 'PostgreSQL (its URL is not shown: it could not be parsed)' },
  ])('$url', ({ url, label }) => {
    expect(databaseLabel(url)).toBe(label);
  });
});
