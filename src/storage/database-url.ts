/** Whether a database URL names a PostgreSQL server; anything else is a SQLite file (or `:memory:`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}
