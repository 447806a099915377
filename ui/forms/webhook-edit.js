// Editing a subscription fully (everything PATCH /api/v1/webhooks/:id lets an account change) and
// deleting one, each error shown at its field. The format cannot change (the API refuses it).
import { api } from '../api.js';
import { h, toast } from '../dom.js';
import { confirmAction } from './confirm.js';
import { field, setFieldError } from './fields.js';

const KLADANA_REPORT_TYPES = ['all', 'bystore'];

/** "2 5 10" or "2, 5, 10" as seconds; throws on anything that is not a number. */
function parseSchedule(text) {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isFinite(n)) throw Object.assign(new Error(`"${p}" is not a number of seconds`), { field: 'retrySchedule' });
    return n;
  });
}

const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The edit form. `eventPicker(selected, testid)` is the subscriptions view's event checklist;
 * onSaved(view) runs after a successful PATCH.
 */
export function webhookEditForm(w, eventPicker, onSaved) {
  const f = {};
  f.url = field('URL', h('input', { type: 'url', value: w.url, testid: 'edit-url', class: 'grow' }), 'url');
  const events = eventPicker(w.events, 'edit-events');
  f.enabled = field('Enabled', h('input', { type: 'checkbox', checked: w.enabled, testid: 'edit-enabled' }), 'enabled');
  f.retrySchedule = field(
    'Retries (seconds before each)',
    h('input', { type: 'text', value: w.followsVendorSchedule ? '' : w.retrySchedule.join(' '), placeholder: `format default: ${w.retrySchedule.join(' ') || 'none'}`, testid: 'edit-retry' }),
    'retrySchedule',
    h('span', { class: 'muted small' }, w.followsVendorSchedule ? `The ${w.format} schedule; type seconds to override it.` : `Overridden; empty returns to the ${w.format} schedule.`),
  );
  f.maxInFlight = field('Deliveries at once', h('input', { type: 'number', min: 1, max: 256, step: 1, value: w.maxInFlight, testid: 'edit-max-in-flight' }), 'maxInFlight');
  if (w.coalesceSeconds !== null) {
    f.coalesceSeconds = field('Coalesce (seconds)', h('input', { type: 'number', min: 1, max: 3600, step: 1, value: w.coalesceSeconds, testid: 'edit-coalesce' }), 'coalesceSeconds');
  }
  f.secret = field('Signing secret', h('input', { type: 'password', autocomplete: 'new-password', placeholder: 'leave empty to keep the current one', testid: 'edit-secret' }), 'secret');
  const bearerRemove = h('input', { type: 'checkbox', testid: 'edit-bearer-remove' });
  f.bearerToken = field(
    'Bearer token',
    h('input', { type: 'password', autocomplete: 'new-password', placeholder: w.bearerToken ? 'set: type to replace it' : 'none', testid: 'edit-bearer' }),
    'bearerToken',
    w.bearerToken && h('label', { class: 'inline small' }, bearerRemove, ' remove'),
  );
  const basicRemove = h('input', { type: 'checkbox', testid: 'edit-basic-remove' });
  f.basicAuth = field(
    'Basic auth user',
    h('input', { type: 'text', value: w.basicAuth ? w.basicAuth.username : '', autocomplete: 'off', testid: 'edit-basic-user' }),
    'basicAuth',
    w.basicAuth && h('label', { class: 'inline small' }, basicRemove, ' remove'),
  );
  f.basicPassword = field('Basic auth password', h('input', { type: 'password', autocomplete: 'new-password', placeholder: w.basicAuth ? 'type to change (with the user)' : '', testid: 'edit-basic-password' }), 'basicAuth.password');
  if ('objects' in w.options) f.objects = field('Poster objects', h('input', { type: 'text', value: (w.options.objects ?? []).join(', '), testid: 'edit-objects' }), 'objects');
  if ('reportType' in w.options) {
    f.reportType = field('Report', h('select', { testid: 'edit-report-type' }, KLADANA_REPORT_TYPES.map((t) => h('option', { value: t, selected: w.options.reportType === t }, t))), 'reportType');
  }
  const formError = h('p', { class: 'error form-error', role: 'alert', testid: 'edit-error' });
  const save = h('button', { type: 'submit', testid: 'edit-save' }, 'Save');
  const form = h(
    'form',
    { class: 'edit-form', testid: 'edit-form', novalidate: true, autocomplete: 'off' },
    h('p', { class: 'muted small' }, `Format ${w.format} (fixed: create a new subscription for another format).`),
    h('div', { class: 'edit-grid' }, Object.values(f).map((x) => x.el)),
    events.el,
    formError,
    h('div', { class: 'row end' }, save),
  );

  /** Only what changed is sent, so an unchanged secret or token is never touched. */
  const changes = () => {
    const body = {};
    const url = f.url.control.value.trim();
    if (url !== w.url) body.url = url;
    const chosen = events.value();
    const wasAll = !w.events || w.events.length === 0;
    if (chosen.length === 0 ? !wasAll : wasAll || !sameList([...chosen].sort(), [...w.events].sort())) body.events = chosen.length ? chosen : null;
    if (f.enabled.control.checked !== w.enabled) body.enabled = f.enabled.control.checked;
    const sched = f.retrySchedule.control.value.trim();
    if (sched === '') {
      if (!w.followsVendorSchedule) body.retrySchedule = null;
    } else if (w.followsVendorSchedule || !sameList(parseSchedule(sched), w.retrySchedule)) body.retrySchedule = parseSchedule(sched);
    const mif = f.maxInFlight.control.value;
    if (mif !== '' && Number(mif) !== w.maxInFlight) body.maxInFlight = Number(mif);
    if (f.coalesceSeconds && Number(f.coalesceSeconds.control.value) !== w.coalesceSeconds) body.coalesceSeconds = f.coalesceSeconds.control.value === '' ? null : Number(f.coalesceSeconds.control.value);
    if (f.secret.control.value !== '') body.secret = f.secret.control.value;
    const user = f.basicAuth.control.value.trim();
    const pass = f.basicPassword.control.value;
    if (basicRemove.checked) body.basicAuth = null;
    else if (pass !== '' || (user !== '' && !w.basicAuth)) body.basicAuth = { username: user, password: pass };
    else if (w.basicAuth && user !== w.basicAuth.username) throw Object.assign(new Error('type the password too to change the user'), { field: 'basicAuth.password' });
    if (bearerRemove.checked) body.bearerToken = null;
    else if (f.bearerToken.control.value !== '') body.bearerToken = f.bearerToken.control.value;
    if (f.objects) {
      const objects = f.objects.control.value.split(/[\s,]+/).filter(Boolean);
      if (!sameList(objects, w.options.objects ?? [])) body.objects = objects;
    }
    if (f.reportType && f.reportType.control.value !== w.options.reportType) body.reportType = f.reportType.control.value;
    return body;
  };

  const target = (path) => {
    const name = path.replace(/^body\./, '');
    if (name === 'basicAuth.password') return f.basicPassword;
    return f[name] ?? f[name.split(/[.[]/)[0]];
  };
  const labelOf = (path) => (target(path) ? target(path).el.querySelector('label').textContent : path);
  const place = (path, message) => {
    const t = target(path);
    if (!t) return false;
    setFieldError(t, message);
    return true;
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    formError.textContent = '';
    for (const x of Object.values(f)) setFieldError(x, '');
    save.disabled = true;
    void (async () => {
      try {
        const body = changes();
        if (Object.keys(body).length === 0) {
          formError.textContent = 'Nothing changed.';
          return;
        }
        onSaved(await api(`/api/v1/webhooks/${w.id}`, { method: 'PATCH', body }));
      } catch (err) {
        const d = err.details;
        let placed = false;
        if (err.field) placed = place(err.field, err.message);
        else if (d && Array.isArray(d.fields)) for (const x of d.fields) placed = place(x.field, `${labelOf(x.field)} ${x.message}`) || placed;
        else if (d && typeof d.field === 'string') placed = place(d.field, err.message);
        else if (err.code === 'TARGET_NOT_ALLOWED') placed = place('url', err.message);
        formError.textContent = placed ? 'Not saved: see the fields marked.' : `Not saved: ${err.message}`;
      } finally {
        save.disabled = false;
      }
    })();
  });
  return form;
}

/** Deletes a subscription after asking; its waiting deliveries are cancelled (the API's rule). */
export async function deleteWebhook(w, onDeleted) {
  const yes = await confirmAction({
    title: 'Delete this subscription?',
    message: `${w.url} gets no more deliveries; the ones still waiting are cancelled. This cannot be undone.`,
    confirm: 'Delete subscription',
    danger: true,
  });
  if (!yes) return;
  await api(`/api/v1/webhooks/${w.id}`, { method: 'DELETE' });
  toast('Subscription deleted');
  await onDeleted();
}

/** Asks before a replay: it sends every matching event since then again, as new deliveries. */
export function confirmReplay(w, since) {
  return confirmAction({
    title: 'Replay events?',
    message: `Every matching event since ${since} is sent to ${w.url} again, as new deliveries. The receiver sees them twice unless it deduplicates by event id.`,
    confirm: 'Start replay',
  });
}
