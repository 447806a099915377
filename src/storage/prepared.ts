import type { Compilable, CompiledQuery, Insertable, Kysely, QueryResult, Transaction } from 'kysely';
import type { Database } from './schema.js';

// postgres/named-statements.ts imports this module: no import back.
type Db = Kysely<Database>;
type Tx = Transaction<Database>;

/**
 * Statements of the hot path (post a document, fan out, authenticate), built and compiled by
 * Kysely once per dialect and then run with new values only. Building and compiling a query costs
 * about as much JavaScript as SQLite needs to run it, and every request built the same ten
 * statements again.
 *
 * The statement is built once with a placeholder object in place of each value; compiling puts
 * every value, placeholders and constants alike, into the parameter list in order, so each later
 * run only swaps the placeholders for this run's values. The SQL text never changes, which also lets
 * PostgreSQL keep it as a named prepared statement (see `isPreparedSql`).
 *
 * Only values can vary: anything that changes the SQL's shape (a different column list, a row
 * count) is a different statement; `preparedRows` keeps one per row count.
 */

const PLACEHOLDER = Symbol('prepared placeholder');
interface Placeholder {
  readonly [PLACEHOLDER]: string | [number, string];
}

const isPlaceholder = (v: unknown): v is Placeholder => typeof v === 'object' && v !== null && PLACEHOLDER in v;

type Slot = { key: string } | { row: number; key: string } | { value: unknown };

interface Plan {
  compiled: CompiledQuery;
  slots: Slot[];
}

/** The SQL texts PostgreSQL is to keep as named statements (postgres/named-statements.ts); nothing else is named. */
const preparedSql = new Set<string>();
export const isPreparedSql = (sql: string): boolean => preparedSql.has(sql);

/**
 * Multi-row statements are named only up to this many rows: PostgreSQL keeps a named statement's
 * plan in every connection that ran it, and a hundred plans of 100-row INSERTs per connection cost
 * memory for little, since a big batch spreads its one parse over many rows.
 */
const NAMED_MAX_ROWS = 4;

function plan(compiled: CompiledQuery, named = true): Plan {
  if (named) preparedSql.add(compiled.sql);
  const slots = compiled.parameters.map((p): Slot => {
    if (!isPlaceholder(p)) return { value: p };
    const at = p[PLACEHOLDER];
    return typeof at === 'string' ? { key: at } : { row: at[0], key: at[1] };
  });
  return { compiled, slots };
}

/** The dialect's adapter identifies the SQL flavour a plan was compiled for. */
const flavour = (db: Db | Tx): object => db.getExecutor().adapter;

/** Values of a placeholder's type, for the builder's type checks. */
type Values<P> = { readonly [K in keyof P]: P[K] };

/**
 * A statement over one set of values: `const find = prepared<{id: number}>()((db, v) => db.selectFrom(..).where('id', '=', v.id))`,
 * then `await find(tx, { id: 7 })` returns the rows.
 */
export function prepared<P extends object>() {
  return <R>(build: (db: Db, v: Values<P>) => Compilable<R>) => {
    const plans = new WeakMap<object, Plan>();
    const values = new Proxy({} as Values<P>, {
      get: (_t, key) => ({ [PLACEHOLDER]: String(key) }) satisfies Placeholder,
    });
    return async (db: Db | Tx, params: P): Promise<QueryResult<R>> => {
      let p = plans.get(flavour(db));
      if (!p) {
        p = plan(build(db as Db, values).compile());
        plans.set(flavour(db), p);
      }
      const parameters = p.slots.map((s) => ('value' in s ? s.value : (params as Record<string, unknown>)[s.key]));
      return db.executeQuery<R>({ ...p.compiled, parameters } as CompiledQuery<R>);
    };
  };
}

/** By default a plan per row count is kept up to this many rows; bigger statements are built each time. */
const MAX_PREPARED_ROWS = 32;

/**
 * A multi-row statement (an INSERT of n rows): `build(db, rows)` receives n placeholder rows. A plan
 * is kept per row count up to `maxRows` (default MAX_PREPARED_ROWS); a larger count (a 1,000-line document) is built
 * and compiled for that call alone, as any query would be.
 */
export function preparedRows<P extends object>(maxRows = MAX_PREPARED_ROWS) {
  return <R>(build: (db: Db, rows: ReadonlyArray<Values<P>>) => Compilable<R>) => {
    const plans = new WeakMap<object, Map<number, Plan>>();
    const placeholderRows = (n: number) =>
      Array.from(
        { length: n },
        (_, row) => new Proxy({} as Values<P>, { get: (_t, key) => ({ [PLACEHOLDER]: [row, String(key)] }) satisfies Placeholder }),
      );
    return async (db: Db | Tx, rows: ReadonlyArray<P>): Promise<QueryResult<R>> => {
      if (rows.length > maxRows) return db.executeQuery(build(db as Db, rows as ReadonlyArray<Values<P>>));
      let byCount = plans.get(flavour(db));
      if (!byCount) plans.set(flavour(db), (byCount = new Map()));
      let p = byCount.get(rows.length);
      if (!p) {
        p = plan(build(db as Db, placeholderRows(rows.length)).compile(), rows.length <= NAMED_MAX_ROWS);
        byCount.set(rows.length, p);
      }
      const parameters = p.slots.map((s) => ('value' in s ? s.value : 'row' in s ? (rows[s.row] as Record<string, unknown>)[s.key] : undefined));
      return db.executeQuery<R>({ ...p.compiled, parameters } as CompiledQuery<R>);
    };
  };
}

/**
 * A multi-row INSERT of the given columns, prepared per row count like `preparedRows`: every row
 * passed must carry each column (a missing one binds NULL, which a NOT NULL column refuses).
 */
export function preparedInsert<T extends keyof Database & string>(
  table: T,
  columns: ReadonlyArray<keyof Insertable<Database[T]> & string>,
  maxRows = MAX_PREPARED_ROWS,
) {
  return preparedRows<Insertable<Database[T]>>(maxRows)((db, rows) =>
    db
      .insertInto(table)
      // Placeholder rows answer only the columns asked for, so the row objects are built from the list.
      .values(rows.map((r) => Object.fromEntries(columns.map((c) => [c, (r as Record<string, unknown>)[c]]))) as never),
  );
}
