// stockhook dashboard: sign-in, then the stock views (stock, history, documents, live events) and the
// webhooks view (charts, subscriptions and the delivery log, refreshed every few seconds).
import { api, query, session, setUnauthorizedHandler } from './api.js';
import { drawChart } from './charts.js';
import { Deliveries } from './deliveries.js';
import { $, act, fill, h, toast } from './dom.js';
import { deliveryView } from './delivery-page.js';
import { documentsView, documentView } from './documents.js';
import { historyView } from './history.js';
import { clock, fmtClock, zoneName } from './format.js';
import { forgetNames } from './names.js';
import { currentRoute } from './router.js';
import { sourceView } from './source-page.js';
import { sourcesView } from './sources.js';
import { stockView } from './stock.js';
import { Subscriptions } from './subscriptions.js';
import { eventView, tailView } from './tail.js';
import { mountCancel } from './forms/cancel.js';
import { postView } from './forms/post-view.js';

const REFRESH_MS = 5000;

// Range → bucket size: about 60-100 buckets whatever the range (the stats API allows 500).
const RANGES = {
  '15m': { ms: 15 * 60_000, bucket: 15 },
  '1h': { ms: 3600_000, bucket: 60 },
  '6h': { ms: 6 * 3600_000, bucket: 300 },
  '24h': { ms: 86400_000, bucket: 900 },
  // A minute short of the API's 7-day limit, so clock skew never pushes it over.
  '7d': { ms: 7 * 86400_000 - 60_000, bucket: 7200 },
};

let timer;
let subs;
let log;
// True from a successful sign-in (or a restored session) until sign-out or a refused token.
let signedIn = false;

function showSignIn(message) {
  signedIn = false;
  clearInterval(timer);
  route += 1;
  $('#dash').hidden = true;
  $('#ledger').hidden = true;
  $('[data-testid=nav]').hidden = true;
  $('#signin').hidden = false;
  $('[data-testid=sign-out]').hidden = true;
  $('[data-testid=read-only]').hidden = true;
  document.body.classList.remove('read-only');
  fill($('[data-testid=signin-error]'), message || '');
  $('[data-testid=token-input]').focus();
}

async function signIn(token) {
  // Any account route checks the token; the subscriptions list is needed next anyway.
  await api('/api/v1/webhooks', { token });
  session.set(token);
  await showDashboard();
}

function signOut() {
  session.clear();
  forgetNames();
  fill($('#ledger'));
  fill($('#subs'));
  fill($('#log'));
  fill($('#detail'));
  showSignIn('Signed out.');
}

/**
 * A `read` token sees every view; the controls that would write (subscribe, edit, enable, test,
 * rotate, replay, retry; marked data-write) are hidden rather than left to fail with 403.
 */
async function applyScope() {
  const me = await api('/api/v1/tokens/current');
  const readOnly = me.scope === 'read';
  document.body.classList.toggle('read-only', readOnly);
  $('[data-testid=read-only]').hidden = !readOnly;
}

async function showDashboard() {
  await applyScope();
  signedIn = true;
  $('#signin').hidden = true;
  $('[data-testid=sign-out]').hidden = false;
  $('[data-testid=nav]').hidden = false;
  await showRoute();
  log = new Deliveries($('#log'), $('#detail'));
  subs = new Subscriptions($('#subs'), {
    onChange: (list) => log.setSubscriptions(list),
    onShowDeliveries: (id) => act(null, async () => {
      await log.filterBy(id);
      $('#log').scrollIntoView({ behavior: 'smooth' });
    }),
  });
  await subs.load();
  await Promise.all([log.load(), drawCharts()]);
  clearInterval(timer);
  timer = setInterval(tick, REFRESH_MS);
}

let ticking = false;
async function tick() {
  if (ticking || document.hidden || !session.token || $('#dash').hidden) return;
  ticking = true;
  try {
    await Promise.all([drawCharts(), log.refresh(), subs.refreshHealth()]);
  } catch (err) {
    // A refresh that fails once (server restarting) is retried on the next tick; say so quietly.
    fill($('[data-testid=charts-updated]'), `refresh failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    ticking = false;
  }
}

async function drawCharts() {
  const range = RANGES[$('[data-testid=chart-range]').value] || RANGES['1h'];
  const since = new Date(Date.now() - range.ms).toISOString();
  const st = await api(`/api/v1/stats/deliveries${query({ since, bucketSeconds: range.bucket })}`);
  const times = st.buckets.map((b) => Date.parse(b.at));
  const bucketMs = st.bucketSeconds * 1000;
  const pick = (k) => st.buckets.map((b) => b[k]);
  drawChart($('#chart-deliveries'), {
    title: 'Delivery attempts',
    testid: 'chart-deliveries',
    kind: 'bar',
    unit: 'count',
    times,
    bucketMs,
    series: [{ key: 'attempts', name: 'attempts', color: '#2f6fdb', values: pick('attempts') }],
  });
  drawChart($('#chart-failures'), {
    title: 'Failed attempts',
    testid: 'chart-failures',
    kind: 'bar',
    unit: 'count',
    times,
    bucketMs,
    series: [{ key: 'failed', name: 'failed', color: '#d1453b', values: pick('failed') }],
  });
  drawChart($('#chart-latency'), {
    title: 'Attempt duration',
    testid: 'chart-latency',
    kind: 'line',
    unit: 'ms',
    times,
    bucketMs,
    series: [
      { key: 'p50', name: 'p50', color: '#1f9d6b', values: pick('p50Ms') },
      { key: 'p95', name: 'p95', color: '#c9821b', values: pick('p95Ms') },
    ],
  });
  fill($('[data-testid=charts-updated]'), `updated ${fmtClock(Date.now())} · ${st.bucketSeconds}s buckets`);
}

// The stock views are drawn per route; a route that is left stops drawing (isCurrent turns false).
let route = 0;
async function showRoute() {
  if (!session.token) return;
  const mine = ++route;
  const isCurrent = () => mine === route;
  const { parts, params } = currentRoute();
  const view = parts[0] || 'stock';
  for (const a of document.querySelectorAll('[data-testid=nav] a')) a.classList.toggle('active', a.dataset.view === (view === 'history' ? 'stock' : view === 'deliveries' ? 'events' : view));
  const webhooks = view === 'webhooks';
  $('#dash').hidden = !webhooks;
  $('#ledger').hidden = webhooks;
  // Charts and the log are not refreshed while hidden: catch up on coming back.
  if (webhooks) return void (log && tick());
  const root = $('#ledger');
  forgetNames(); // names are read afresh per view: a warehouse added or a product renamed shows at once
  root.setAttribute('aria-busy', 'true');
  try {
    if (view === 'stock') await stockView(root, params, isCurrent);
    else if (view === 'history') await historyView(root, params, isCurrent);
    else if (view === 'documents' && parts[1]) await documentView(root, parts[1], isCurrent).then(() => isCurrent() && mountCancel(root, parts[1], isCurrent));
    else if (view === 'post') await postView(root, parts[1], isCurrent);
    else if (view === 'documents') await documentsView(root, params, isCurrent);
    else if (view === 'events' && parts[1]) await eventView(root, parts[1], isCurrent);
    else if (view === 'events') await tailView(root, isCurrent);
    else if (view === 'deliveries' && parts[1]) await deliveryView(root, parts[1], isCurrent);
    else if (view === 'sources' && parts[1]) await sourceView(root, parts[1], isCurrent);
    else if (view === 'sources') await sourcesView(root, isCurrent);
    else fill(root, h('section', { class: 'card' }, h('h2', {}, 'Not found'), h('p', {}, h('a', { href: '#/stock' }, 'Go to the stock'))));
  } catch (err) {
    if (isCurrent()) fill(root, h('section', { class: 'card' }, h('p', { class: 'error', testid: 'view-error' }, err instanceof Error ? err.message : String(err))));
  } finally {
    if (isCurrent()) root.removeAttribute('aria-busy');
  }
}

function init() {
  window.addEventListener('hashchange', () => void showRoute());
  setUnauthorizedHandler(() => {
    // Only a session that was signed in is ended: a mistyped token at sign-in just says so there.
    if (signedIn) {
      session.clear();
      showSignIn('The token was not accepted any more: sign in again.');
    }
  });
  const utc = $('[data-testid=zone-utc]');
  const showZone = () => {
    fill($('[data-testid=zone-name]'), `Times: ${zoneName()}`);
    utc.checked = clock.utc;
  };
  showZone();
  utc.addEventListener('change', () => (clock.utc = utc.checked));
  clock.onChange(() => {
    showZone();
    if (!signedIn) return;
    // Every time on the page is redrawn in the new zone: the current view, and the webhooks view.
    void showRoute();
    if (subs) void act(null, () => Promise.all([subs.load(), log.load(), drawCharts()]));
  });
  const form = $('[data-testid=signin-form]');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('[data-testid=token-input]').value.trim();
    if (!token) return;
    void act(form.querySelector('button'), async () => {
      try {
        await signIn(token);
        $('[data-testid=token-input]').value = '';
      } catch (err) {
        fill($('[data-testid=signin-error]'), err instanceof Error ? err.message : String(err));
      }
    });
  });
  $('[data-testid=sign-out]').addEventListener('click', signOut);
  $('[data-testid=chart-range]').addEventListener('change', () => act(null, drawCharts));
  // A reload keeps the session (the token is in sessionStorage) and the view (the hash). Only a
  // refused token (the 401 handler) or no token at all shows the sign-in form.
  if (session.token) {
    showDashboard().catch((err) => {
      if (signedIn) return void toast(err instanceof Error ? err.message : String(err), 'error');
      if (err && err.status === 401) return void (session.clear(), showSignIn('The token was not accepted any more: sign in again.'));
      if (session.token) showSignIn(`Could not reach the server: ${err instanceof Error ? err.message : String(err)}`);
    });
  } else showSignIn();
}

init();
