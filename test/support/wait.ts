/**
 * Waiting in tests: for a condition, with a bound. A fixed pause followed by "nothing more happened"
 * flakes on a loaded machine; wait for something that proves the point was passed instead.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * Every bound is only how long to wait before calling a test failed: a passing test ends at its
 * event, whatever the bound. On a loaded machine (CI beside other work) everything is slower, so
 * each bound is multiplied by STOCKHOOK_TEST_PATIENCE (default 3); no assertion depends on it.
 */
export const PATIENCE = patience(process.env.STOCKHOOK_TEST_PATIENCE);

/** Playwright's own waits (a locator's waitFor, a click, an expect on a page), bound as every wait here is: 30 s × PATIENCE. */
export const BROWSER_WAIT_MS = 30_000 * PATIENCE;

function patience(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 100) throw new Error(`STOCKHOOK_TEST_PATIENCE must be a number from 1 to 100, got ${JSON.stringify(raw)}`);
  return n;
}

/** Polls until fn returns a truthy value, and returns it; throws (naming `what`) after timeoutMs × PATIENCE. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 25, what = 'condition'): Promise<Truthy<T>> {
  timeoutMs *= PATIENCE;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}
