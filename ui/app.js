// stockhook dashboard: sign-in, then charts, subscriptions and the delivery log, refreshed every few seconds.
import { api, query, session, setUnauthorizedHandler } from './api.js';
import { drawChart } from './charts.js';
import { Deliveries } from './deliveries.js';
import { $, act, fill } from './dom.js';
import { Subscriptions } from './subscriptions.js';

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

function showSignIn(message) {
  clearInterval(timer);
  $('#dash').hidden = true;
  $('#signin').hidden = false;
  $('[data-testid=sign-out]').hidden = true;
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
  fill($('#subs'));
  fill($('#log'));
  fill($('#detail'));
  showSignIn('Signed out.');
}

async function showDashboard() {
  $('#signin').hidden = true;
  $('#dash').hidden = false;
  $('[data-testid=sign-out]').hidden = false;
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
  if (ticking || document.hidden || !session.token) return;
  ticking = true;
  try {
    await Promise.all([drawCharts(), log.refresh()]);
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
  fill($('[data-testid=charts-updated]'), `updated ${new Date().toLocaleTimeString()} · ${st.bucketSeconds}s buckets`);
}

function init() {
  setUnauthorizedHandler(() => {
    if (!$('#dash').hidden) {
      session.clear();
      showSignIn('The token was not accepted any more: sign in again.');
    }
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
  if (session.token) {
    act(null, showDashboard).then(() => $('#dash').hidden && showSignIn());
  } else showSignIn();
}

init();
