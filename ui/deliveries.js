// The delivery log (filters, paging) and one delivery's detail with its attempts and Retry.
import { api, query } from './api.js';
import { act, badge, fill, fmtMs, fmtTime, h, kvTable, pretty, toast } from './dom.js';
import { timeInput } from './format.js';
import { EVENT_TYPES } from './subscriptions.js';

const STATUSES = ['pending', 'succeeded', 'failed', 'dropped', 'held', 'cancelled'];
const PAGE = 20;

const select = (testid, all, options) => h('select', { testid }, h('option', { value: '' }, all), options.map(([v, label]) => h('option', { value: v }, label)));

export class Deliveries {
  constructor(logRoot, detailRoot) {
    this.detailRoot = detailRoot;
    this.subs = [];
    this.older = [];
    this.cursor = undefined;
    this.openId = null;
    this.f = {
      webhook: select('filter-webhook', 'All subscriptions', []),
      status: select('filter-status', 'Any status', STATUSES.map((s) => [s, s])),
      event: select('filter-event', 'Any event', EVENT_TYPES.map((e) => [e, e])),
      since: timeInput(document, { testid: 'filter-since', title: 'created at or after' }),
      until: timeInput(document, { testid: 'filter-until', title: 'created before' }),
    };
    const apply = h('button', { type: 'submit', testid: 'filter-apply' }, 'Apply');
    const reset = h('button', { type: 'reset', class: 'ghost' }, 'Reset');
    const form = h('form', { class: 'filters', testid: 'log-filters' }, Object.values(this.f), apply, reset);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(apply, () => this.first());
    });
    form.addEventListener('reset', () => setTimeout(() => void act(null, () => this.first())));
    this.tbody = h('tbody', { testid: 'log-rows' });
    this.prev = h('button', { type: 'button', class: 'small', testid: 'page-newer' }, '← Newer');
    this.next = h('button', { type: 'button', class: 'small', testid: 'page-older' }, 'Older →');
    this.pageLabel = h('span', { class: 'muted' });
    this.prev.addEventListener('click', () => act(this.prev, () => ((this.cursor = this.older.pop()), this.load())));
    this.next.addEventListener('click', () => act(this.next, () => (this.older.push(this.cursor), (this.cursor = this.nextCursor), this.load())));
    const refresh = h('button', { type: 'button', class: 'small ghost', testid: 'log-refresh' }, 'Refresh');
    refresh.addEventListener('click', () => act(refresh, () => this.load()));
    fill(
      logRoot,
      h('div', { class: 'card-head' }, h('h2', {}, 'Delivery log'), refresh),
      form,
      h('div', { class: 'table-wrap' }, h('table', { class: 'list log cards' }, h('thead', {}, h('tr', {}, ['Created', 'Event', 'Endpoint', 'Status', 'Tries', 'Last'].map((c) => h('th', {}, c)))), this.tbody)),
      h('div', { class: 'pager' }, this.prev, this.pageLabel, this.next),
    );
    this.closeDetail();
  }

  setSubscriptions(list) {
    this.subs = list;
    const keep = this.f.webhook.value;
    fill(this.f.webhook, h('option', { value: '' }, 'All subscriptions'), list.map((w) => h('option', { value: w.id }, `${w.url} (${w.format})`)));
    this.f.webhook.value = list.some((w) => w.id === keep) ? keep : '';
  }

  filterBy(webhookId) {
    this.f.webhook.value = webhookId;
    return this.first();
  }

  first() {
    this.older = [];
    this.cursor = undefined;
    return this.load();
  }

  /** Reloads the first page only: a refresh must not move a reader who paged back in time. */
  refresh() {
    return this.cursor === undefined ? this.load() : Promise.resolve();
  }

  async load() {
    const q = query({
      webhookId: this.f.webhook.value,
      status: this.f.status.value,
      eventType: this.f.event.value,
      since: this.f.since.iso(),
      until: this.f.until.iso(),
      limit: PAGE,
      cursor: this.cursor,
    });
    const page = await api(`/api/v1/deliveries${q}`);
    this.nextCursor = page.nextCursor;
    this.prev.disabled = this.cursor === undefined;
    this.next.disabled = !page.nextCursor;
    fill(this.pageLabel, `page ${this.older.length + 1}`);
    const sub = (id) => this.subs.find((w) => w.id === id) || {};
    const url = (id) => (sub(id).url || id).replace(/^https?:\/\//, '');
    fill(
      this.tbody,
      page.data.length
        ? page.data.map((d) => {
            const tr = h(
              'tr',
              { testid: 'delivery-row', 'data-id': d.id, 'data-status': d.status, class: d.id === this.openId ? 'selected clickable' : 'clickable', tabindex: 0 },
              h('td', { class: 'nowrap' }, fmtTime(d.createdAt)),
              h('td', { 'data-label': 'Event' }, d.eventType),
              h('td', { class: 'url', 'data-label': 'Endpoint' }, breakable(url(d.webhookId))),
              h('td', { 'data-label': 'Status' }, badge(d.status), pausedNote(d, sub(d.webhookId).health)),
              h('td', { class: 'num', 'data-label': 'Tries' }, String(d.attempts)),
              h('td', { class: 'muted', 'data-label': 'Last' }, d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : d.lastError || '—'),
            );
            const open = () => void act(null, () => this.open(d.id));
            tr.addEventListener('click', open);
            tr.addEventListener('keydown', (e) => e.key === 'Enter' && open());
            return tr;
          })
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No deliveries match.')),
    );
  }

  closeDetail() {
    this.openId = null;
    clearTimeout(this.detailTimer);
    fill(this.detailRoot, h('h2', {}, 'Delivery'), h('p', { class: 'muted' }, 'Pick a delivery in the log to see its request, every attempt and the response.'));
    for (const tr of document.querySelectorAll('[data-testid=delivery-row].selected')) tr.classList.remove('selected');
  }

  async open(id) {
    clearTimeout(this.detailTimer);
    this.openId = id;
    for (const tr of document.querySelectorAll('[data-testid=delivery-row]')) tr.classList.toggle('selected', tr.dataset.id === id);
    const d = await api(`/api/v1/deliveries/${id}`);
    if (this.openId !== id) return;
    const before = this.shown && this.shown.id === id ? this.shown.status : d.status;
    this.shown = { id, status: d.status };
    this.renderDetail(d);
    // The log's row shows the status too: keep it in step when the detail sees it change.
    if (before !== d.status) await this.refresh();
    // While it waits to be sent, follow it: the next attempt shows up without a click.
    if (d.status === 'pending') this.detailTimer = setTimeout(() => this.openId === id && void act(null, () => this.open(id)), 1000);
  }

  renderDetail(d) {
    const retry = h('button', { type: 'button', testid: 'retry', 'data-write': true, disabled: d.status === 'pending' || d.status === 'held' }, 'Retry');
    retry.addEventListener('click', () =>
      act(retry, async () => {
        await api(`/api/v1/deliveries/${d.id}/retry`, { method: 'POST' });
        toast('Queued again: same id, same bytes');
        await this.open(d.id);
        await this.refresh();
      }),
    );
    const close = h('button', { type: 'button', class: 'small ghost' }, 'Close');
    close.addEventListener('click', () => this.closeDetail());
    fill(
      this.detailRoot,
      h('div', { class: 'card-head' }, h('h2', {}, 'Delivery'), h('div', {}, retry, ' ', close)),
      h(
        'dl',
        { class: 'fields', testid: 'delivery-detail', 'data-id': d.id, 'data-status': d.status },
        field('Id', h('code', {}, d.id)),
        field('Event', d.eventId ? h('a', { href: `#/events/${d.eventId}`, testid: 'delivery-event' }, `${d.eventType} (${d.eventId})`) : d.eventType),
        field('Status', badge(d.status)),
        field('Endpoint', d.url),
        deliveryProgress(d, (this.subs.find((w) => w.id === d.webhookId) || {}).health),
      ),
      deliveryBodyAndAttempts(d, (this.subs.find((w) => w.id === d.webhookId) || {}).health),
    );
  }
}

/** A URL as text with line-break chances after its / and : (a narrow column wraps it there, not mid-word). */
function breakable(text) {
  return text.split(/(?<=[/:])/).flatMap((part, i) => (i ? [h('wbr'), part] : [part]));
}

/** One `dt`/`dd` pair of a delivery's fields. */
export const field = (k, v) => [h('dt', {}, k), h('dd', {}, v)];

/** Whether a waiting delivery is held back by its endpoint's breaker: the pause's end, else null. */
export function pausedUntil(d, health) {
  return d.status === 'pending' && health && health.state === 'paused' ? health.pausedUntil : null;
}

/** "paused until …" under a waiting delivery's status, when its endpoint's breaker holds it. */
export function pausedNote(d, health) {
  const until = pausedUntil(d, health);
  return until && h('div', { class: 'warn', testid: 'delivery-paused' }, `endpoint paused until ${fmtTime(until)}`);
}

/** The fields every view of one delivery ends with: attempts, times, the last error. */
export function deliveryProgress(d, health) {
  const until = pausedUntil(d, health);
  const next = d.nextAttemptAt && until && Date.parse(until) > Date.parse(d.nextAttemptAt) ? until : d.nextAttemptAt;
  return [
    until && field('Endpoint state', h('span', { class: 'warn', testid: 'delivery-paused' }, `paused by the circuit breaker until ${fmtTime(until)}: nothing is sent to it before then`)),
    field('Attempts', String(d.attempts)),
    field('Created', fmtTime(d.createdAt, { seconds: true })),
    d.completedAt && field('Completed', fmtTime(d.completedAt, { seconds: true })),
    next && d.status === 'pending' && field('Next attempt', fmtTime(next, { seconds: true })),
    d.lastError && field('Last error', d.lastError),
  ];
}

/** What was sent (the same bytes on every attempt) and each attempt, newest first. */
export function deliveryBodyAndAttempts(d, health) {
  const until = pausedUntil(d, health);
  return [
    h('details', { class: 'body' }, h('summary', {}, 'Request body (the same bytes on every attempt)'), h('pre', { testid: 'delivery-body' }, pretty(d.body))),
    h('h3', {}, `Attempts (${d.attemptLog.length})`),
    d.attemptLog.length
      ? [...d.attemptLog].reverse().map(attemptView)
      : h('p', { class: 'muted' }, until ? `Not sent yet: the endpoint is paused until ${fmtTime(until)}.` : d.status === 'held' ? 'Not sent: held while the subscription is disabled.' : 'Not sent yet.'),
  ];
}

export function attemptView(a) {
  const r = a.response;
  return h(
    'article',
    { class: 'attempt', testid: 'attempt', 'data-attempt': a.attempt, 'data-outcome': a.outcome },
    h('header', {}, h('strong', {}, `#${a.attempt}`), ` ${fmtTime(a.startedAt, { seconds: true })} · ${fmtMs(a.durationMs)} · `, badge(a.outcome), r && h('span', { class: `code code-${Math.floor(r.status / 100)}xx`, testid: 'attempt-status' }, `HTTP ${r.status}`)),
    a.error && h('p', { class: 'error', testid: 'attempt-error' }, h('strong', {}, a.error.kind), `: ${a.error.message}`),
    h(
      'div',
      { class: 'cols' },
      h('section', {}, h('h4', {}, 'Request'), h('p', { class: 'url' }, a.request.url), kvTable(a.request.headers, 'request-headers'), h('details', {}, h('summary', {}, 'Body'), h('pre', {}, pretty(a.request.body)))),
      h(
        'section',
        {},
        h('h4', {}, r ? `Response ${r.status}` : 'No response'),
        r && [kvTable(r.headers, 'response-headers'), h('pre', { testid: 'response-body' }, r.body ? pretty(r.body) : '(empty body)')],
      ),
    ),
  );
}
