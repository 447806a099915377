import { fileURLToPath } from 'node:url';

/** Where child processes write contract violations (set by contract-setup.ts, passed on by startCli). */
export const CONTRACT_FILE_ENV = 'STOCKHOOK_TEST_CONTRACT_FILE';

/** The module a child process loads with --import to check its own responses. */
export const CONTRACT_PRELOAD = fileURLToPath(new URL('./contract-preload.ts', import.meta.url));

/**
 * NODE_OPTIONS that make every node process started by a shell script (the README tutorial runs
 * the built `node dist/cli.js serve`) check its responses too; absolute, since the script runs
 * elsewhere and could not resolve `tsx` from there.
 */
export function contractNodeOptions(): string {
  const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
  return `--import ${tsx} --import ${new URL('./contract-preload.ts', import.meta.url).href}`;
}
