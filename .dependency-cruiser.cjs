/**
 * The layering of src/ (README "Code map"), checked in CI by `npm run deps`:
 *   cli/server/compose → http → domain (inventory, webhooks, applications, accounts, sources) → events → storage
 * delivery and formats read the domain through data handed to them; receiver imports nothing of the server.
 * Type-only imports count (tsPreCompilationDeps), so a cycle through types fails too.
 */
const domain = '^src/(inventory|webhooks|applications|accounts|sources)/';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles, type imports included', from: {}, to: { circular: true } },
    {
      name: 'receiver-stands-alone',
      severity: 'error',
      comment: 'stockhook/receiver is published for receivers: it imports nothing of the server',
      from: { path: '^src/receiver/' },
      to: { path: '^src/', pathNot: '^src/receiver/' },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment: 'stockhook/client is published for API callers: its entry point and generated types import nothing of the server',
      from: { path: '^src/client/(index|api-types)\\.ts$' },
      to: { path: '^src/', pathNot: '^src/client/(index|api-types)\\.ts$' },
    },
    {
      name: 'nothing-below-imports-the-root',
      severity: 'error',
      comment: 'only the CLI and the server wire things together',
      from: { path: '^src/', pathNot: '^src/(cli|server|compose|domain|delivery-thread|delivery-thread-host)\\.ts$' },
      to: { path: '^src/(cli|server|compose|domain|delivery-thread|delivery-thread-host)\\.ts$' },
    },
    {
      name: 'only-the-root-builds-the-app',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|server|compose|app)\\.ts$' },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'http-is-on-top',
      severity: 'error',
      comment: 'nothing but the app imports the HTTP layer',
      from: { path: '^src/', pathNot: '^src/(http/|app\\.ts|compose\\.ts|server\\.ts|cli\\.ts|delivery-thread\\.ts)' },
      to: { path: '^src/http/' },
    },
    {
      name: 'domain-does-not-deliver',
      severity: 'error',
      comment: 'the domain writes events; the fan-out and the dispatcher are wired to it by compose.ts',
      from: { path: domain },
      to: { path: '^src/delivery/' },
    },
    {
      name: 'formats-read-data-handed-to-them',
      severity: 'error',
      comment:
        'formats get domain data through their RenderContext, never by importing the domain; they may name the type of the data they are handed (a view), never call into it',
      from: { path: '^src/webhooks/formats/' },
      to: { path: '^src/(inventory|applications|delivery|listen|client)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'delivery-reads-data-handed-to-it',
      severity: 'error',
      from: { path: '^src/delivery/' },
      to: { path: '^src/(inventory|applications|listen|client)/' },
    },
    {
      name: 'events-sit-on-storage',
      severity: 'error',
      from: { path: '^src/events/' },
      to: { path: '^src/(inventory|webhooks|applications|accounts|sources|delivery|listen|client)/' },
    },
    {
      name: 'one-seam-per-database',
      severity: 'error',
      comment:
        'what differs between SQLite and PostgreSQL is decided inside src/storage/ (each database its own store: storage/sqlite/, storage/postgres/); nothing else imports a dialect, a database-specific module or asks which database it is on (test/storage/seam.test.ts checks the code for such switches)',
      from: { path: '^src/', pathNot: '^src/storage/' },
      to: {
        path: '^src/storage/(sqlite/|postgres/|dialect\\.ts$|write-turn\\.ts$|commit-group\\.ts$|event-sequencer\\.ts$|announcer\\.ts$|database-url\\.ts$|pg-[^/]*$|sqlite-[^/]*$)',
      },
    },
    {
      name: 'storage-is-the-bottom',
      severity: 'error',
      comment: 'besides storage itself: the error codes and the log codes, two modules that import nothing',
      from: { path: '^src/storage/' },
      to: { path: '^src/', pathNot: '^src/(storage/|errors\\.ts|log-events\\.ts)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
