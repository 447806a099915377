import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { CONTRACT_FILE_ENV } from './contract-preload-env.js';
import { observeResponses } from './contract-observer.js';

/**
 * vitest setupFiles entry: every response of every app a test builds is checked against the
 * OpenAPI document (contract-observer.ts), and a violation fails the test that made the request.
 * Servers in child processes (startCli) write theirs to a file named in the environment, which
 * startCli passes on; it is read after each test too.
 */
const violations: string[] = [];
observeResponses((v) => violations.push(v));

process.env[CONTRACT_FILE_ENV] ??= join(tmpdir(), `stockhook-contract-${process.pid}.log`);
const file = process.env[CONTRACT_FILE_ENV];

function takeViolations(): string[] {
  const found = violations.splice(0);
  if (file && existsSync(file)) {
    found.push(...readFileSync(file, 'utf8').split('\n').filter(Boolean));
    rmSync(file, { force: true });
  }
  return found;
}

function failOnViolations(): void {
  const found = takeViolations();
  if (found.length > 0) throw new Error(`${found.length} response(s) broke the OpenAPI contract:\n${found.join('\n')}`);
}

afterEach(failOnViolations);
// Requests made in beforeAll/afterAll hooks belong to no test: they fail the file.
afterAll(failOnViolations);
