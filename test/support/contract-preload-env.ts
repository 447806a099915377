import { fileURLToPath } from 'node:url';

/** Where child processes write contract violations (set by contract-setup.ts, passed on by startCli). */
export const CONTRACT_FILE_ENV = 'STOCKHOOK_TEST_CONTRACT_FILE';

/** The module a child process loads with --import to check its own responses (plain JS: contract-preload.mjs says why). */
export const CONTRACT_PRELOAD = fileURLToPath(new URL('./contract-preload.mjs', import.meta.url));

/**
 * NODE_OPTIONS that make every node process started by a shell script (the README tutorial runs
 * the built `node dist/cli.js serve`) check its responses too; an absolute URL, since the script
 * runs in another directory.
 */
export function contractNodeOptions(): string {
  return `--import ${new URL('./contract-preload.mjs', import.meta.url).href}`;
}
