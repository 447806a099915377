import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { FORMAT_NAMES } from '../../src/receiver/formats.js';
import { MAX_PUBLIC_URL_LENGTH } from '../../src/webhooks/formats/kladana-report-link.js';
import { POSTER_SCHEDULE } from '../../src/webhooks/formats/poster.js';

/*
 * Every vendor format's page (docs/formats/) declares, in a "Choices" section, what its seed document leaves open and
 * what stockhook chose, so an integrator reading the vendor's document knows where stockhook had to decide. Each
 * expectation below quotes the seed's words that leave the point open; the behaviour itself is checked by the
 * format's own tests with real deliveries (test/formats/<format>.test.ts).
 */
const DOCS = fileURLToPath(new URL('../../docs/formats/', import.meta.url));
const HEADING = /^(#{2,3}) Choices \(what stockhook decides where the document is silent\)$/m;

/** The Choices section of a page: from its heading to the next heading of the same or a higher level. */
function choices(format: string): string {
  const page = readFileSync(`${DOCS}${format}.md`, 'utf8');
  const m = HEADING.exec(page);
  expect(m, `docs/formats/${format}.md has no Choices section`).not.toBeNull();
  const rest = page.slice((m?.index ?? 0) + (m?.[0].length ?? 0));
  const end = new RegExp(`^#{2,${m?.[1].length ?? 2}} `, 'm').exec(rest);
  // Lines are wrapped: compare the section's text with single spaces.
  return (end ? rest.slice(0, end.index) : rest).replace(/\s+/g, ' ');
}

it('every vendor format has a page, and every page has a Choices section', () => {
  const pages = readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
  // native is stockhook's own format (README), not a vendor's.
  expect(pages).toEqual(FORMAT_NAMES.filter((f) => f !== 'native').sort());
  for (const p of pages) expect(choices(p).length, p).toBeGreaterThan(200);
});

it('poster (004_a1bb63d8532f2e59.txt): the test hook, user_id, object_id of stock, the 15 tries', () => {
  const c = choices('poster');
  // The seed lists entities and actions but no test hook.
  expect(c).toContain('The test hook is `configs`/`changed`, `object_id` 0, no `data`.');
  // "user_id | Id сотрудника, который установил приложение" (the employee who installed the application).
  expect(c).toContain('`user_id` is the account number.');
  // "object_id | Первичный ключ объекта" (the object's primary key), for a stock object that is a product at a storage.
  expect(c).toContain('`object_id` of `stock` is the product id');
  // "попытаемся отправить его еще 15 раз в течение двух дней" (we will try 15 more times within two days).
  expect(c).toContain('"15 more times within two days" is a fixed schedule of 15 delays');
  expect(POSTER_SCHEDULE).toHaveLength(15);
  expect(c).toContain('30 s, 1, 2, 5, 10, 15, 30, 45 min, 1, 1.5, 2, 3, 5, 10 and 15 h');
  const listed = [30, 60, 120, 300, 600, 900, 1800, 2700, 3600, 5400, 7200, 10800, 18000, 36000, 54000];
  expect([...POSTER_SCHEDULE]).toEqual(listed);
});

it('cyclesoftware (003_363462edb958dc29.txt): "HMAC of the payload using your hash secret" is HMAC-SHA256 hex over the whole body', () => {
  const c = choices('cyclesoftware');
  expect(c).toContain('The signature is HMAC-SHA256, lowercase hex, over the whole body.');
  expect(c).toContain('not only the `payload` property');
});

it('kladana (001_b7c5f6582b1849dd.txt): fromDate in UTC, integer ids, reportUrl String(255), "a change in balances"', () => {
  const c = choices('kladana');
  // The seed's example "fromDate=2022-09-24 19:14:32" has no zone.
  expect(c).toContain('`fromDate` is UTC.');
  // "assortmentId" is a UUID in Kladana's report; stockhook's ids are integers.
  expect(c).toContain('stockhook\'s reports give its own product and warehouse ids as **integers**');
  // "reportUrl | String(255)".
  expect(c).toContain(`a public URL longer than ${MAX_PUBLIC_URL_LENGTH} characters is refused when stockhook starts`);
  // "Notifications are sent to the user every 1-5 minutes if there has been a change in balances".
  expect(c).toContain('A window opens only when a change moves what the report shows');
  // The list's "context" and a webhook's "authorApplication" links.
  expect(c).toContain('Links are served, not dropped.');
});

it('marketplace (002_d1b22f6ebf781033.txt): the sign of soldCount, and what count means each way', () => {
  const c = choices('marketplace');
  // "вы будете получать следующие данные, конкретно о продажах и возвратах" (data about sales and returns), "soldCount": Number.
  expect(c).toContain('**negative** for a return and for a cancelled sale');
  // Inbound "sizes": [{"value", "count"}] versus the webhook's "count".
  expect(c).toContain('**inbound** (`POST /api/v1/supplier/stock`), `count` **sets the amount** of the size at **one warehouse**');
  expect(c).toContain('**outbound** (the webhook), `count` **reports the free stock** (amount − reserved) of the size **summed over all active warehouses**');
});

it('metakocka (000_7b98ce3caed45c8a.txt): how long a row at 0 stays listed', () => {
  const c = choices('metakocka');
  // "one JSON object would be for every stock that has different values of this paramethers".
  expect(c).toContain('**from the change that zeroed it until the product\'s next stock change**');
});
