import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_WAIT_MS } from '../support/wait.js';
import { createEnv, type TestEnv } from '../support/env.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Only a developer machine without Chromium skips; in CI a missing browser is a failure.
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
if (skipBrowser) console.warn(`API reference browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

/** Every URL the markup names for the browser to load: scripts, styles, images, icons, CSS url(). */
function loadedUrls(html: string): string[] {
  const attrs = [...html.matchAll(/<(?:script|img|iframe|source)\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi), ...html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi)];
  const css = [...html.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/gi), ...html.matchAll(/@import\s+["']([^"']+)["']/gi)];
  return [...attrs, ...css].map((m) => m[1]);
}

describe('the API reference page at /docs is served whole by the server itself', () => {
  let env: TestEnv & { close(): Promise<void> };
  let base: string;
  beforeAll(async () => {
    env = await createEnv('sqlite');
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('the page and every script it names come from this server; nothing points elsewhere', async () => {
    const page = await fetch(`${base}/docs`);
    expect(page.url).toBe(`${base}/docs/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const html = await page.text();
    expect(html).toContain('<title>stockhook API reference</title>');
    expect(html).not.toMatch(/https?:\/\//);
    const urls = loadedUrls(html);
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) {
      expect(u, 'a relative URL on this server').not.toMatch(/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i);
      const res = await fetch(new URL(u, page.url));
      expect([u, res.status]).toEqual([u, 200]);
      if (u.endsWith('.js')) expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
      // Read it all: a script cut short would be a page that never renders.
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    }
    // What the page would otherwise fetch from the vendor: its web fonts, telemetry, its AI agent.
    expect(html).toMatch(/"withDefaultFonts": false/);
    expect(html).toMatch(/"telemetry": false/);
    expect(html).toMatch(/"agent": \{\s*"disabled": true\s*\}/);
    // It reads the document the server generates, by a relative URL (so it works behind a proxy's path prefix too).
    expect(html).toContain('"url": "./openapi.json"');
    const served = await (await fetch(`${base}/docs/openapi.json`)).json();
    expect(served).toEqual(await (await fetch(`${base}/openapi.json`)).json());
  });
});

describe.skipIf(skipBrowser)('the API reference in a browser', () => {
  let env: TestEnv & { close(): Promise<void> };
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  const requested: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI installs it in .ci/run (apt-get install -y chromium)`);
    env = await createEnv('sqlite');
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'stockhook-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 1000 } });
    ctx.setDefaultTimeout(BROWSER_WAIT_MS);
    page = ctx.pages()[0] ?? (await ctx.newPage());
    ctx.on('request', (r) => requested.push(r.url()));
    // A request to another origin is refused at once (and recorded by the listener above), so the
    // page never waits on a host this machine cannot reach and the check below needs no idle wait.
    await ctx.route((url) => !url.href.startsWith(`${base}/`) && !/^(?:data|blob):/.test(url.href), (route) => route.abort());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await env?.close();
  });

  it('renders the operations, their descriptions and examples, and loads nothing from another origin', async () => {
    await page.goto(`${base}/docs`);
    // The page is drawn by its script from the served document: these texts exist only there.
    await page.getByText('A receipt of 12 units of').first().waitFor({ timeout: 30_000 });
    await page.getByText('documents', { exact: true }).first().click();
    await page.getByText('Post a stock document', { exact: true }).first().click();
    await page.waitForURL(/#tag\/documents\/POST\/api\/v1\/documents$/);
    // The operation's description, its first request example (named) and the recorded response.
    await page.getByText('All lines are booked in one transaction').first().waitFor();
    await page.getByText('A receipt of 12 TEE-RED-M', { exact: false }).first().waitFor();
    await page.getByText('"PO-2026-0142"').first().waitFor();
    expect(requested.length).toBeGreaterThan(2);
    const elsewhere = requested.filter((u) => !u.startsWith(`${base}/`) && !/^(?:data|blob):/.test(u));
    expect(elsewhere).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
