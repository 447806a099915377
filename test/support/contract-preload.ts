import { appendFileSync } from 'node:fs';
import { CONTRACT_FILE_ENV } from './contract-preload-env.js';
import { observeResponses } from './contract-observer.js';

/**
 * Loaded by contract-preload.mjs into servers the tests start as child processes
 * (startCli): each violation is appended to the test worker's file synchronously, before the
 * response leaves, so it is there when the test that made the request finishes.
 */
const file = process.env[CONTRACT_FILE_ENV];
if (file) observeResponses((v) => appendFileSync(file, `${v.replace(/\n/g, ' ')}\n`));
