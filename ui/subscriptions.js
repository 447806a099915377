// Subscriptions: list, create, edit, enable/disable, rotate secret, send test, replay with progress.
import { api } from './api.js';
import { act, fill, fmtTime, h, isoToLocal, localToIso, toast } from './dom.js';

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
    this.secretBox = h('div', { class: 'notice', testid: 'secret-box', hidden: true });
    this.panel = h('div', { class: 'panel', hidden: true });
    fill(
      root,
      h('div', { class: 'card-head' }, h('h2', {}, 'Subscriptions')),
      h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['Endpoint', 'Events', 'Retries', 'Enabled', ''].map((c) => h('th', {}, c)))), this.tbody),
      this.secretBox,
      this.panel,
      this.createForm(),
    );
  }

  async load() {
    this.list = (await api('/api/v1/webhooks')).data;
    fill(this.tbody, this.list.length ? this.list.map((w) => this.row(w)) : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No subscriptions yet: create one below.')));
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
        toast(r.deliveryId ? `Test event sent (delivery ${r.deliveryId})` : 'Test event written; this subscription does not take it');
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
        w.disabledReason && h('span', { class: 'warn' }, ` ${w.disabledReason}`),
        w.failingSince && h('span', { class: 'warn' }, ` failing since ${fmtTime(w.failingSince)}`),
        w.pausedUntil && h('span', { class: 'warn', testid: 'sub-paused' }, ` paused (circuit breaker) until ${fmtTime(w.pausedUntil)}`),
      ),
      h('td', { class: 'events-cell' }, w.events && w.events.length ? w.events.join(', ') : 'all'),
      h(
        'td',
        { class: 'muted' },
        w.retrySchedule.length ? w.retrySchedule.map(dur).join(' ') : 'none',
        // An override replaces the format's own schedule: for MetaKocka, Kladana and Poster the
        // vendor's promise to the receiver then no longer holds (docs/formats/, "retries").
        !w.followsVendorSchedule &&
          h('div', { class: 'warn', testid: 'sub-schedule-overridden', title: `Retries are overridden: not the ${w.format} schedule` }, `overridden: not the ${w.format} schedule`),
      ),
      h('td', {}, h('label', { class: 'switch' }, toggle, w.enabled ? 'on' : 'off')),
      h('td', {}, actions),
    );
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
    const since = h('input', { type: 'datetime-local', value: isoToLocal(Date.now() - 3600_000), testid: 'replay-since' });
    const start = h('button', { type: 'button', testid: 'replay-start' }, 'Start replay');
    const bar = h('progress', { max: 1, value: 0, testid: 'replay-progress' });
    const status = h('span', { class: 'muted', testid: 'replay-status' }, 'Sends every matching event since then again, as new deliveries.');
    start.addEventListener('click', () =>
      act(start, async () => {
        const iso = localToIso(since.value);
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
