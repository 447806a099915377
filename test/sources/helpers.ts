import type { TestAccount, TestEnv } from '../support/env.js';
import { call } from '../support/fixtures.js';
import { eventually } from '../support/wait.js';
import { pathOf } from './senders.js';

/** Starts the app on a real socket (once per env) and returns its base URL. */
const bases = new WeakMap<TestEnv, string>();
export async function listening(env: TestEnv): Promise<string> {
  let base = bases.get(env);
  if (!base) {
    base = await env.app.listen({ port: 0, host: '127.0.0.1' });
    bases.set(env, base);
  }
  return base;
}

export async function source(env: TestEnv, a: TestAccount, body: object): Promise<{ id: number; url: string; path: string; [k: string]: unknown }> {
  const s = (await call(env, a, 'POST', '/api/v1/sources', body, 201)).body;
  return { ...s, path: pathOf(s.url) };
}

export async function requests(env: TestEnv, a: TestAccount, sourceId: number): Promise<any[]> {
  return (await call(env, a, 'GET', `/api/v1/sources/${sourceId}/requests?limit=500`, undefined, 200)).body.data;
}

export async function unmatched(env: TestEnv, a: TestAccount, sourceId: number): Promise<any[]> {
  return (await call(env, a, 'GET', `/api/v1/sources/${sourceId}/unmatched`, undefined, 200)).body.data;
}

/** The account's documents, oldest first. */
export async function documents(env: TestEnv, a: TestAccount): Promise<any[]> {
  const d = (await call(env, a, 'GET', '/api/v1/documents?limit=500', undefined, 200)).body.data as any[];
  return [...d].sort((x, y) => x.id - y.id);
}

/** Waits until the log's newest entry for this source is no longer pending (Kladana's report fetch). */
export async function settled(env: TestEnv, a: TestAccount, sourceId: number, n: number): Promise<any[]> {
  return eventually(async () => {
    const log = await requests(env, a, sourceId);
    return log.length >= n && log.every((r) => r.outcome !== 'pending') && log;
  }, 20_000);
}
