import { prepared } from '../prepared.js';
import { documentInsert, guardedUpdate, insertLines, upsertLevel, type DocumentHead, type KeyChange, type LedgerRows } from '../ledger-sql.js';

// Compiled once (prepared.ts): every document runs them.
const insertDocument = prepared<DocumentHead>()((db, v) => documentInsert(db, v));
const addToKey = prepared<KeyChange>()((db, v) => upsertLevel(db, v));
const changeKey = prepared<KeyChange>()((db, v) => guardedUpdate(db, v));

/** SQLite has no INSERT or UPDATE inside WITH: a statement per row, which in-process costs no round trip. */
export const sqliteLedgerRows: LedgerRows = {
  async insertDocument(tx, head, lines) {
    const [doc] = (await insertDocument(tx, head)).rows;
    return { doc, lines: await insertLines(tx, head.accountId, doc.id, lines) };
  },
  async changeKey(tx, v, adding) {
    const [level] = (await (adding ? addToKey(tx, v) : changeKey(tx, v))).rows;
    return { level, moved: false };
  },
};
