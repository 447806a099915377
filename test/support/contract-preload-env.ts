import { fileURLToPath } from 'node:url';

/** Where child processes write contract violations (set by contract-setup.ts, passed on by startCli). */
export const CONTRACT_FILE_ENV = 'STOCKHOOK_TEST_CONTRACT_FILE';

/** The module a child process loads with --import to check its own responses. */
export const CONTRACT_PRELOAD = fileURLToPath(new URL('./contract-preload.ts', import.meta.url));
