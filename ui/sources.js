// Sources: the vendors' own webhooks that book stock (a Poster till, a MetaKocka ERP, …). The list
// shows each source's inbound URL (to paste into the vendor's settings) and its health: the last
// request received and what came of it, and how many rows wait for a mapping.
import { api } from './api.js';
import { fill, fmtTime, h, toast } from './dom.js';
import { go, href } from './router.js';

// What a request's outcome means for the person looking: fine, needs a look, or broken.
const OUTCOME_CLASS = {
  booked: 'succeeded',
  duplicate: 'succeeded',
  ignored: 'held',
  stale: 'held',
  pending: 'pending',
  unmatched: 'pending',
  refused: 'failed',
  failed: 'failed',
};

export function outcomeBadge(outcome, testid = 'outcome') {
  return h('span', { class: `badge badge-${OUTCOME_CLASS[outcome] || 'held'}`, testid }, outcome);
}

/**
 * One word for a source's state: "no requests yet", "failing" (its last request was refused or
 * failed), "unmatched" (rows wait for a mapping), "disabled", or "healthy".
 */
export function healthBadge(s) {
  const last = s.health.lastRequest;
  let word = 'healthy';
  let kind = 'succeeded';
  if (!s.enabled) (word = 'disabled'), (kind = 'held');
  else if (!last) (word = 'no requests yet'), (kind = 'held');
  else if (last.outcome === 'refused' || last.outcome === 'failed') (word = 'failing'), (kind = 'failed');
  else if (s.health.unmatched > 0) (word = 'rows unmatched'), (kind = 'pending');
  return h('span', { class: `badge badge-${kind}`, testid: 'source-health' }, word);
}

/** The inbound URL with a button that copies it (the clipboard needs a secure page: else it is selected for a manual copy). */
export function inboundUrl(url) {
  const text = h('code', { class: 'url', testid: 'source-url' }, url);
  const copy = h('button', { type: 'button', class: 'small', testid: 'source-copy', title: "Copy the URL to paste into the vendor's webhook settings" }, 'Copy');
  copy.addEventListener('click', async (e) => {
    e.stopPropagation();
    try {
      await navigator.clipboard.writeText(url);
      toast('URL copied');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(text);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      toast('Copying was refused: the URL is selected, copy it with Ctrl+C');
    }
  });
  return h('span', { class: 'inbound' }, text, copy);
}

export async function sourcesView(root, isCurrent) {
  const list = (await api('/api/v1/sources')).data;
  if (!isCurrent()) return;
  const tbody = h('tbody', { testid: 'source-rows' });
  if (list.length === 0) {
    tbody.append(h('tr', {}, h('td', { colspan: 6, class: 'muted', testid: 'sources-empty' }, 'No sources yet: register one with POST /api/v1/sources (see the API docs).')));
  }
  for (const s of list) tbody.append(sourceRow(s));
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'sources-view' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Sources')),
      h('p', { class: 'muted small' }, "The vendors' own webhooks booked as stock. Paste a source's URL into that vendor's webhook settings."),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'list cards sources' },
          h('thead', {}, h('tr', {}, ['Name', 'Format', 'Inbound URL', 'Health', 'Last request', 'Unmatched'].map((l, i) => h('th', { class: i === 5 ? 'num' : '' }, l)))),
          tbody,
        ),
      ),
    ),
  );
}

function sourceRow(s) {
  const last = s.health.lastRequest;
  const tr = h(
    'tr',
    { testid: 'source-row', 'data-id': s.id, class: 'clickable' },
    h('td', {}, h('a', { href: href(`sources/${s.id}`), testid: 'source-name' }, s.name)),
    h('td', { 'data-label': 'Format', testid: 'source-format' }, s.format),
    h('td', { 'data-label': 'Inbound URL', class: 'wide' }, inboundUrl(s.url)),
    h('td', { 'data-label': 'Health' }, healthBadge(s)),
    h('td', { 'data-label': 'Last request', class: 'last', testid: 'source-last' }, last ? [h('span', { class: 'nowrap' }, fmtTime(last.receivedAt)), ' ', outcomeBadge(last.outcome, 'source-last-outcome')] : h('span', { class: 'muted' }, 'none yet')),
    h('td', { class: 'num', 'data-label': 'Unmatched', testid: 'source-unmatched' }, String(s.health.unmatched)),
  );
  // The row opens the source, except where a click means something else (the link, the copy button, the URL's text).
  tr.addEventListener('click', (e) => !e.target.closest('a, button, code') && go(`sources/${s.id}`));
  return tr;
}
