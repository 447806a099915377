import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepAdminTokenInFile } from '../../src/accounts/admin-token-file.js';
import { ensureAdminToken } from '../../src/accounts/tokens.js';
import { openStore } from '../../src/storage/database.js';
import { adminTokenFile } from '../../src/storage/database-location.js';

/* Where a generated administrator token goes without a terminal, and what happens when it cannot go there. */
const dir = mkdtempSync(join(tmpdir(), 'stockhook-token-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the administrator token file', () => {
  it('beside a SQLite file; in the working directory, named after the database, for PostgreSQL and :memory:', () => {
    expect(adminTokenFile('/var/lib/stockhook/stockhook.db', '/srv')).toBe('/var/lib/stockhook/stockhook.db.admin-token');
    expect(adminTokenFile('data/x.db', '/srv')).toBe('/srv/data/x.db.admin-token');
    expect(adminTokenFile('postgres://u:p@db:5432/stock', '/srv')).toBe('/srv/stockhook-stock.admin-token');
    expect(adminTokenFile('postgresql://db/we%20ird%2F..', '/srv')).toBe('/srv/stockhook-we_ird_...admin-token');
    expect(adminTokenFile('postgres://db', '/srv')).toBe('/srv/stockhook-postgres.admin-token');
    expect(adminTokenFile(':memory:', '/srv')).toBe('/srv/stockhook-memory.admin-token');
  });

  it('replaces a wider file with a 0600 one; when it cannot be written, the stored hash is taken back', async () => {
    const store = await openStore(join(dir, 'x.db'));
    try {
      const first = await ensureAdminToken(store, undefined);
      const token = first.printOnce as string;
      const path = join(dir, 'x.db.admin-token');
      writeFileSync(path, 'an old ledger\'s token\n');
      chmodSync(path, 0o644);
      await keepAdminTokenInFile(store, token, first.hash, path);
      expect(readFileSync(path, 'utf8')).toBe(`${token}\n`);
      expect(statSync(path).mode & 0o777).toBe(0o600);

      // A folder that does not exist: nobody could ever read the token, so it is not kept.
      const nowhere = join(dir, 'missing', 'x.admin-token');
      await expect(keepAdminTokenInFile(store, token, first.hash, nowhere)).rejects.toThrow(
        `the generated administrator token could not be written to ${nowhere} (ENOENT`,
      );
      const stored = await store.db.selectFrom('settings').select('value').where('key', '=', 'admin_token_hash').execute();
      expect(stored).toEqual([]);
      const next = await ensureAdminToken(store, undefined);
      expect(next.printOnce).toMatch(/^shk_admin_/);
      expect(next.printOnce).not.toBe(token);
    } finally {
      await store.close();
    }
  });
});
