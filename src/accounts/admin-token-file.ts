import { chmod, rm, writeFile } from 'node:fs/promises';
import type { Store } from '../storage/database.js';

/**
 * Keeps a generated administrator token in a file only its owner can read (0600), for a first start
 * with no terminal to show it on (a service manager, a container, a pipe into a log collector): the
 * token then never passes through stdout, so it never lands in log storage. A file left by an
 * earlier ledger at the same place is replaced. When the file cannot be written, the stored hash is
 * taken back and the start fails: a token nobody can read would lock the administrator out.
 */
export async function keepAdminTokenInFile(store: Store, token: string, hash: string, path: string): Promise<void> {
  try {
    // Created fresh, never reused: an existing file may have wider permissions than 0600.
    await rm(path, { force: true });
    await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
    // The mode given at creation is narrowed by the umask, never widened; this only makes it exact.
    await chmod(path, 0o600);
  } catch (err) {
    await store.autocommit((w) => w.deleteFrom('settings').where('key', '=', 'admin_token_hash').where('value', '=', hash).execute());
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`the generated administrator token could not be written to ${path} (${why}): start from a writable directory or set STOCKHOOK_ADMIN_TOKEN`);
  }
}
