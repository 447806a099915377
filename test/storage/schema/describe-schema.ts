import { sql, type Kysely } from 'kysely';

/**
 * What a migrated database holds, read back from the database's own catalog, in one text form per
 * kind of object so a test can compare it whole against a description written out in full
 * (expected-sqlite.ts, expected-postgres.ts). Every column with its type, nullability and default,
 * every index with its columns, uniqueness and partial WHERE, every constraint, trigger, function
 * and sequence: a migration that changes any of them changes the description.
 *
 * Kysely's own bookkeeping tables (stockhook_migrations, stockhook_migrations_lock) are named in
 * `tableNames` but not described: their columns are Kysely's, not the migrations'.
 */
export interface SchemaDescription {
  tableNames: string[];
  /** Table → its columns in order, joined by ', '. */
  tables: Record<string, string>;
  indexes: string[];
  constraints: string[];
  triggers: string[];
  functions: string[];
  sequences: string[];
}

const KYSELY_TABLES = ['stockhook_migrations', 'stockhook_migrations_lock'];
const own = (table: string): boolean => !KYSELY_TABLES.includes(table) && !table.startsWith('sqlite_');
/** One space for every run of white space: SQL text written over several lines compares by its words. */
const words = (s: string): string => s.replace(/\s+/g, ' ').trim();

export async function describeSqlite(db: Kysely<any>): Promise<SchemaDescription> {
  const master = (await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
    select type, name, tbl_name, sql from sqlite_master`.execute(db)).rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: SchemaDescription = { tableNames: [], tables: {}, indexes: [], constraints: [], triggers: [], functions: [], sequences: [] };
  for (const t of master.filter((m) => m.type === 'table')) {
    out.tableNames.push(t.name);
    if (!own(t.name)) continue;
    const text = t.sql ?? '';
    const cols = (await sql<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>`
      select name, type, "notnull", dflt_value, pk from pragma_table_info(${t.name}) order by cid`.execute(db)).rows;
    const composite = cols.filter((c) => c.pk > 0).length > 1;
    out.tables[t.name] = cols
      .map((c) => {
        let s = `${c.name} ${c.type}`;
        if (c.notnull) s += ' not null';
        if (c.dflt_value !== null) s += ` default ${c.dflt_value}`;
        if (c.pk > 0) s += composite ? ` pk${c.pk}` : ' pk';
        if (new RegExp(`"${c.name}" [^,]*autoincrement`, 'i').test(text)) s += ' autoincrement';
        return s;
      })
      .join(', ');
    for (const m of text.matchAll(/constraint "([^"]*)" (primary key|unique) \(([^)]*)\)/gi)) {
      out.constraints.push(`${t.name}: ${m[1]} ${m[2].toUpperCase()} (${m[3].replace(/"/g, '')})`);
    }
    const indexes = (await sql<{ name: string; unique: number; origin: string; partial: number }>`
      select name, "unique", origin, partial from pragma_index_list(${t.name})`.execute(db)).rows;
    for (const ix of indexes) {
      const columns = (await sql<{ name: string }>`select name from pragma_index_info(${ix.name}) order by seqno`.execute(db)).rows.map((c) => c.name);
      const created = master.find((m) => m.type === 'index' && m.name === ix.name)?.sql ?? '';
      const where = ix.partial ? ` where ${words(/ where (.*)$/is.exec(created)?.[1] ?? '?')}` : '';
      out.indexes.push(`${ix.name} on ${t.name}${ix.unique ? ' unique' : ''} (${columns.join(', ')})${ix.origin === 'c' ? '' : ` [${ix.origin}]`}${where}`);
    }
  }
  out.indexes.sort();
  out.constraints.sort();
  out.triggers = master.filter((m) => m.type === 'trigger').map((m) => words(m.sql ?? ''));
  return out;
}

export async function describePostgres(db: Kysely<any>): Promise<SchemaDescription> {
  const out: SchemaDescription = { tableNames: [], tables: {}, indexes: [], constraints: [], triggers: [], functions: [], sequences: [] };
  const tables = (await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db)).rows.map((r) => r.name).sort();
  out.tableNames = tables;
  const columns = (await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null; is_identity: string; identity_generation: string | null }>`
    select table_name, column_name, data_type, is_nullable, column_default, is_identity, identity_generation
    from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`.execute(db)).rows;
  for (const t of tables.filter(own)) {
    out.tables[t] = columns
      .filter((c) => c.table_name === t)
      .map((c) => {
        let s = `${c.column_name} ${c.data_type}`;
        if (c.is_nullable === 'NO') s += ' not null';
        if (c.column_default !== null) s += ` default ${c.column_default}`;
        if (c.is_identity === 'YES') s += ` identity ${String(c.identity_generation).toLowerCase()}`;
        return s;
      })
      .join(', ');
  }
  const constraints = (await sql<{ tbl: string; name: string; def: string }>`
    select conrelid::regclass::text as tbl, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
    where connamespace = 'public'::regnamespace and contype in ('p', 'u', 'f', 'c', 'x')`.execute(db)).rows;
  out.constraints = constraints.filter((c) => own(c.tbl)).map((c) => `${c.tbl}: ${c.name} ${c.def}`).sort();
  // Indexes that back a constraint are described by the constraint.
  const indexes = (await sql<{ tbl: string; def: string }>`
    select i.tablename as tbl, i.indexdef as def from pg_indexes i
    where i.schemaname = 'public'
      and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`.execute(db)).rows;
  out.indexes = indexes
    .filter((i) => own(i.tbl))
    .map((i) => i.def.replace(' ON public.', ' ON ').replace(' USING btree ', ' '))
    .sort();
  const triggers = (await sql<{ def: string }>`
    select pg_get_triggerdef(oid) as def from pg_trigger where not tgisinternal`.execute(db)).rows;
  out.triggers = triggers.map((t) => t.def.replace(' ON public.', ' ON ')).sort();
  const functions = (await sql<{ name: string; args: string; result: string; config: string[] | null; body: string }>`
    select proname as name, pg_get_function_arguments(oid) as args, pg_get_function_result(oid) as result, proconfig as config, prosrc as body
    from pg_proc where pronamespace = 'public'::regnamespace`.execute(db)).rows;
  out.functions = functions.map((f) => `${f.name}(${f.args}) returns ${f.result} [${(f.config ?? []).join('; ')}]: ${words(f.body)}`).sort();
  const sequences = (await sql<{ name: string; type: string }>`
    select sequencename as name, data_type::text as type from pg_sequences where schemaname = 'public'`.execute(db)).rows;
  out.sequences = sequences.map((s) => `${s.name} ${s.type}`).sort();
  return out;
}
