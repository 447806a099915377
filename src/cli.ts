#!/usr/bin/env node
import { Command } from 'commander';
import { loadConfig } from './config.js';
import { toError } from './errors.js';
import { closeOnSignals, startServer } from './server.js';

const program = new Command();
program.name('stockhook').description('Multi-warehouse stock ledger that delivers every change as a signed webhook');

program
  .command('serve')
  .description('run the API and the webhook worker')
  .option('--port <port>', 'port to listen on (STOCKHOOK_PORT, default 3000)')
  .option('--host <host>', 'address to bind (STOCKHOOK_HOST, default 127.0.0.1)')
  .option('--db <url>', 'SQLite path or postgres:// URL (STOCKHOOK_DATABASE_URL, default ./data/stockhook.db)')
  .option('--role <role>', 'all, api or worker (default all)')
  .action(async (opts: { port?: string; host?: string; db?: string; role?: string }) => {
    const config = loadConfig(opts);
    const running = await startServer(config);
    closeOnSignals(running);
    const where = running.url ?? 'no HTTP (worker role), worker ' + (running.dispatcher?.owner ?? '');
    console.error(`stockhook ${config.role} on ${where}, database ${running.ctx.store.dialect.name}`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`stockhook: ${toError(err).message}`);
  process.exit(1);
});
