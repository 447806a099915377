// Subscriptions: list, create, edit, enable/disable, rotate secret, send test, replay with progress.
import { api } from './api.js';
import { act, badge, fill, fmtTime, h, toast } from './dom.js';
import { timeInput } from './format.js';
import { href } from './router.js';

// The formats and canonical event types come from the server (src/http/routes/ui.ts renders
// catalog.js from src/events/catalog.ts and the format registry), so the two never drift apart.
import { EVENT_TYPES, FORMATS } from './catalog.js';
import { confirmReplay, deleteWebhook, webhookEditForm } from './forms/webhook-edit.js';

export { EVENT_TYPES, FORMATS };

/** Checkboxes for the event filter; none checked means every event. */
export function eventPicker(selected, testid) {
  const boxes = EVENT_TYPES.map((t) => h('input', { type: 'checkbox', value: t, checked: Boolean(selected && selected.includes(t)) }));
  const summary = h('summary', {});
  const update = () => {
    const n = boxes.filter((b) => b.checked).length;
    fill(summary, n === 0 ? 'Events: all' : `Events: ${n} selected`);
  };
  boxes.forEach((b) => b.addEventListener('change', update));
  update();
  const el = h('details', { class: 'events', testid }, summary, h('div', { class: 'event-grid' }, boxes.map((b, i) => h('label', {}, b, EVENT_TYPES[i]))));
  const reset = () => {
    boxes.forEach((b) => (b.checked = false));
    el.open = false;
    update();
  };
  return { el, reset, value: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

const dur = (sec) => (sec < 60 ? `${sec}s` : sec < 3600 ? `${Math.round(sec / 60)}m` : `${Math.round(sec / 360) / 10}h`);

export class Subscriptions {
  /** @param root an empty element; onChange(list) hears every reload; onShowDeliveries(id) filters the log. */
  constructor(root, { onChange, onShowDeliveries }) {
    this.list = [];
    this.onChange = onChange;
    this.onShowDeliveries = onShowDeliveries;
    this.replayRun = 0;
    this.tbody = h('tbody', { testid: 'sub-list' });
    /** webhookId → its health (GET /api/v1/webhooks/health), and the cells that show it. */
    this.health = new Map();
    this.healthCells = new Map();
    /** webhookId → the last "Send test" followed: { deliveryId, run }, and the element it reports in. */
    this.tests = new Map();
    this.testCells = new Map();
    this.secretBox = h('div', { class: 'notice', testid: 'secret-box', hidden: true });
    this.panel = h('div', { class: 'panel', hidden: true });
    fill(
      root,
      h('div', { class: 'card-head' }, h('h2', {}, 'Subscriptions')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'list cards subs' }, h('thead', {}, h('tr', {}, ['Endpoint', 'Health', 'Events', 'Retry schedule', 'Enabled', ''].map((c) => h('th', {}, c)))), this.tbody)),
      this.secretBox,
      this.panel,
      this.createForm(),
    );
  }

  async load() {
    const [list, health] = await Promise.all([api('/api/v1/webhooks'), api('/api/v1/webhooks/health')]);
    this.list = list.data;
    this.setHealth(health.data);
    this.healthCells.clear();
    this.testCells.clear();
    fill(this.tbody, this.list.length ? this.list.map((w) => this.row(w)) : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No subscriptions yet: create one below.')));
    this.onChange(this.list);
  }

  setHealth(list) {
    this.health = new Map(list.map((x) => [x.webhookId, x]));
    for (const w of this.list) w.health = this.health.get(w.id) || null;
  }

  /** The health cells only (every few seconds): the rows, their buttons and open panels stay. */
  async refreshHealth() {
    if (this.list.length === 0) return;
    const health = (await api('/api/v1/webhooks/health')).data;
    // A subscription added or removed elsewhere (another tab, the API): the whole list again.
    if (health.length !== this.list.length || health.some((x, i) => x.webhookId !== this.list[i].id)) return this.load();
    this.setHealth(health);
    for (const [id, cell] of this.healthCells) fill(cell, healthView(this.health.get(id)));
    this.onChange(this.list);
  }

  row(w) {
    const toggle = h('input', { type: 'checkbox', 'data-write': true, testid: 'sub-enabled', checked: w.enabled, title: w.enabled ? 'Disable' : 'Enable' });
    toggle.addEventListener('change', () =>
      act(toggle, async () => {
        await api(`/api/v1/webhooks/${w.id}`, { method: 'PATCH', body: { enabled: toggle.checked } });
        toast(toggle.checked ? 'Enabled: held deliveries are sent' : 'Disabled: new deliveries are held');
        await this.load();
      }),
    );
    const button = (label, testid, fn, write = true) => {
      const b = h('button', { type: 'button', class: 'small', testid, 'data-write': write }, label);
      b.addEventListener('click', () => act(b, fn));
      return b;
    };
    const actions = h(
      'div',
      { class: 'actions' },
      button('Edit', 'sub-edit', async () => this.showEdit(w)),
      button('Send test', 'sub-test', async () => {
        const r = await api(`/api/v1/webhooks/${w.id}/test`, { method: 'POST' });
        if (!r.deliveryId) return void this.reportTest(w.id, { text: 'Test event written; this subscription does not take it', status: 'none' });
        void this.followTest(w.id, r.deliveryId);
      }),
      button('Rotate secret', 'sub-rotate', async () => {
        const r = await api(`/api/v1/webhooks/${w.id}/rotate-secret`, { method: 'POST' });
        this.showSecret(r.url, r.secret);
      }),
      button('Replay', 'sub-replay', async () => this.showReplay(w)),
      button('Deliveries', 'sub-deliveries', async () => this.onShowDeliveries(w.id), false),
      button('Delete', 'sub-delete', async () => deleteWebhook(w, () => (this.closePanel(), this.load()))),
    );
    return h(
      'tr',
      { testid: 'sub-row', 'data-id': w.id },
      h(
        'td',
        {},
        h('div', { class: 'url', testid: 'sub-url' }, w.url),
        h('span', { class: 'tag' }, w.format),
      ),
      h('td', { 'data-label': 'Health', class: 'wide' }, this.healthCell(w.id)),
      h('td', { class: 'events-cell', 'data-label': 'Events' }, w.events && w.events.length ? w.events.join(', ') : 'all'),
      h(
        'td',
        { class: 'muted', 'data-label': 'Retry schedule', title: 'Seconds before each retry after a failure; the next attempt is under Health' },
        w.retrySchedule.length ? w.retrySchedule.map(dur).join(' ') : 'none',
        // An override replaces the format's own schedule: for MetaKocka, Kladana and Poster the
        // vendor's promise to the receiver then no longer holds (docs/formats/, "retries").
        !w.followsVendorSchedule &&
          h('div', { class: 'warn', testid: 'sub-schedule-overridden', title: `Retries are overridden: not the ${w.format} schedule` }, `overridden: not the ${w.format} schedule`),
      ),
      h('td', { 'data-label': 'Enabled' }, h('label', { class: 'switch' }, toggle, w.enabled ? 'on' : 'off')),
      h('td', { class: 'wide' }, actions, this.testCell(w.id)),
    );
  }

  healthCell(id) {
    const cell = h('div', { class: 'health' }, healthView(this.health.get(id)));
    this.healthCells.set(id, cell);
    return cell;
  }

  testCell(id) {
    const cell = h('div', { class: 'test-status small', testid: 'sub-test-status', role: 'status', hidden: true });
    this.testCells.set(id, cell);
    const t = this.tests.get(id);
    if (t && t.last) paintTest(cell, t.last);
    return cell;
  }

  reportTest(id, report) {
    const t = this.tests.get(id) || {};
    t.last = report;
    this.tests.set(id, t);
    const cell = this.testCells.get(id);
    if (cell) paintTest(cell, report);
  }

  /**
   * Follows the test delivery until it succeeds or fails for good, saying what it waits for
   * meanwhile: the breaker's pause, the deliveries queued before it, the next retry.
   */
  async followTest(id, deliveryId) {
    const run = {};
    this.tests.set(id, { run, last: null });
    for (;;) {
      if (this.tests.get(id)?.run !== run) return;
      // While the webhooks view is not shown, wait without asking (a paused endpoint can take minutes).
      if (this.tbody.offsetParent === null) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      let d;
      try {
        d = await api(`/api/v1/deliveries/${deliveryId}`);
      } catch (err) {
        return void this.reportTest(id, { status: 'error', deliveryId, text: `Test delivery: ${err instanceof Error ? err.message : String(err)}` });
      }
      const health = this.health.get(id);
      const done = d.status !== 'pending';
      const code = d.lastStatusCode !== null ? ` · HTTP ${d.lastStatusCode}` : d.lastError ? ` · ${d.lastError}` : '';
      let text = `Test delivery ${d.status} · ${d.attempts} ${d.attempts === 1 ? 'try' : 'tries'}${code}`;
      if (!done && health && health.state === 'paused') text += ` · waiting: the endpoint is paused until ${fmtTime(health.pausedUntil)}`;
      else if (!done && d.attempts > 0 && d.nextAttemptAt) text += ` · next try ${fmtTime(d.nextAttemptAt, { seconds: true })}`;
      else if (!done && health && health.pending > 1) text += ` · queued with ${health.pending - 1} other deliveries to this endpoint`;
      this.reportTest(id, { status: d.status, deliveryId, text });
      if (done) return;
      await new Promise((r) => setTimeout(r, 1000));
      // The pause or queue may have changed meanwhile.
      await this.refreshHealth().catch(() => {});
    }
  }

  createForm() {
    const url = h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://example.com/hooks', testid: 'create-url' });
    const format = h('select', { testid: 'create-format' }, FORMATS.map((f) => h('option', { value: f }, f)));
    const events = eventPicker(null, 'create-events');
    const submit = h('button', { type: 'submit', testid: 'create-submit' }, 'Create subscription');
    const form = h('form', { class: 'create', testid: 'create-form', 'data-write': true }, h('h3', {}, 'New subscription'), h('div', { class: 'row' }, url, format, submit), events.el);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(submit, async () => {
        const chosen = events.value();
        const body = { url: url.value.trim(), format: format.value, ...(chosen.length && { events: chosen }) };
        const created = await api('/api/v1/webhooks', { method: 'POST', body });
        form.reset();
        events.reset();
        this.showSecret(created.url, created.secret);
        toast('Subscription created');
        await this.load();
      });
    });
    return form;
  }

  showSecret(url, secret) {
    const close = h('button', { type: 'button', class: 'small' }, 'Dismiss');
    close.addEventListener('click', () => (this.secretBox.hidden = true));
    fill(this.secretBox, h('strong', {}, 'Signing secret for '), url, h('span', {}, ' — shown this once, copy it now: '), h('code', { testid: 'secret-value' }, secret ?? '(none)'), ' ', close);
    this.secretBox.hidden = false;
  }

  closePanel() {
    this.replayRun++;
    this.panel.hidden = true;
    this.panel.replaceChildren();
  }

  panelShell(title, ...body) {
    const close = h('button', { type: 'button', class: 'small ghost' }, 'Close');
    close.addEventListener('click', () => this.closePanel());
    fill(this.panel, h('div', { class: 'card-head' }, h('h3', {}, title), close), ...body);
    this.panel.hidden = false;
  }

  showEdit(w) {
    this.closePanel();
    // No toast: the row shows the saved values, and a toast would cover the controls below.
    const form = webhookEditForm(w, eventPicker, async () => {
      this.closePanel();
      await this.load();
    });
    this.panelShell(`Edit ${w.url}`, form);
  }

  showReplay(w) {
    this.closePanel();
    const since = timeInput(document, { value: Date.now() - 3600_000, testid: 'replay-since', label: 'Replay since' });
    const start = h('button', { type: 'button', testid: 'replay-start' }, 'Start replay');
    const bar = h('progress', { max: 1, value: 0, testid: 'replay-progress' });
    const status = h('span', { class: 'muted', testid: 'replay-status' }, 'Sends every matching event since then again, as new deliveries.');
    start.addEventListener('click', () =>
      act(start, async () => {
        const iso = since.iso();
        if (!iso) throw new Error('Pick a date and time to replay from');
        if (!(await confirmReplay(w, since.value.replace('T', ' ')))) return;
        const job = await api(`/api/v1/webhooks/${w.id}/replay`, { method: 'POST', body: { since: iso } });
        await this.follow(job, bar, status);
      }),
    );
    this.panelShell(`Replay to ${w.url}`, h('div', { class: 'row' }, h('label', {}, 'Since ', since), start), h('div', { class: 'row' }, bar, status));
  }

  /** Polls the replay job until it is no longer running (or the panel was closed). */
  async follow(job, bar, status) {
    const run = ++this.replayRun;
    for (;;) {
      bar.max = Math.max(1, job.eventsTotal);
      bar.value = job.status === 'done' ? bar.max : job.eventsDone;
      bar.dataset.status = job.status;
      fill(status, `${job.status} · ${job.eventsDone}/${job.eventsTotal} events · ${job.deliveries} deliveries${job.error ? ` · ${job.error}` : ''}`);
      if (job.status !== 'running' || run !== this.replayRun) break;
      await new Promise((r) => setTimeout(r, 400));
      if (run !== this.replayRun) break;
      job = await api(`/api/v1/replays/${job.id}`);
    }
    // The outcome stays in the panel's status line: a toast here covered the Create button.
  }
}

/** healthy / failing since … / paused until … / disabled, with the last attempt and the next. */
function healthView(x) {
  if (!x) return h('span', { class: 'muted small' }, '—');
  const state =
    x.state === 'paused'
      ? h('span', { class: 'badge badge-failed', testid: 'sub-paused' }, `paused until ${fmtTime(x.pausedUntil)}`)
      : x.state === 'failing'
        ? h('span', { class: 'badge badge-pending' }, `failing since ${fmtTime(x.failingSince)}`)
        : x.state === 'disabled'
          ? h('span', { class: 'badge badge-held' }, 'disabled')
          : h('span', { class: 'badge badge-succeeded' }, 'healthy');
  const last = x.lastAttempt;
  return h(
    'div',
    { testid: 'sub-health', 'data-state': x.state },
    state,
    x.state === 'paused' && h('div', { class: 'muted small' }, 'circuit breaker: nothing is sent until then'),
    x.state === 'disabled' && x.disabledReason && h('div', { class: 'warn' }, x.disabledReason),
    h('div', { class: 'small', testid: 'sub-last-attempt' }, 'Last: ', last ? [fmtTime(last.at), ' · ', last.statusCode !== null ? `HTTP ${last.statusCode}` : last.error || last.outcome] : 'never'),
    h('div', { class: 'small', testid: 'sub-next-attempt' }, 'Next: ', x.nextAttemptAt ? fmtTime(x.nextAttemptAt) : 'nothing waiting', x.pending > 0 && ` · ${x.pending} waiting`, x.held > 0 && ` · ${x.held} held`),
  );
}

function paintTest(cell, report) {
  cell.hidden = false;
  cell.dataset.status = report.status;
  fill(
    cell,
    report.status === 'succeeded' || report.status === 'failed' || report.status === 'dropped' ? badge(report.status) : null,
    ' ',
    report.text,
    report.deliveryId && [' · ', h('a', { href: href(`deliveries/${report.deliveryId}`) }, 'open')],
  );
}
