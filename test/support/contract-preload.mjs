import { isMainThread } from 'node:worker_threads';

/**
 * What a server the tests start in a child process loads with --import (startCli), or through
 * NODE_OPTIONS (the README tutorial's built `node dist/cli.js`): plain JavaScript, so it loads in
 * any node process, and only in the main thread (the delivery thread serves no HTTP, and a worker
 * does not get tsx's hooks from NODE_OPTIONS). The observer itself is TypeScript, loaded through
 * tsx's API.
 */
if (isMainThread && process.env.STOCKHOOK_TEST_CONTRACT_FILE) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('./contract-preload.ts', import.meta.url);
}
