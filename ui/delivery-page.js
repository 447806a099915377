// One delivery on its own page (from an event or a document): what was sent, every attempt, and
// the way back to its event and document.
import { api } from './api.js';
import { badge, fill, fmtTime, h, pretty } from './dom.js';
import { attemptView } from './deliveries.js';
import { href } from './router.js';
import { eventDocumentId } from './tail.js';

export async function deliveryView(root, id, isCurrent) {
  const d = await api(`/api/v1/deliveries/${id}`);
  const e = d.eventId ? await api(`/api/v1/events/${d.eventId}`).catch(() => null) : null;
  if (!isCurrent()) return;
  const doc = e && eventDocumentId(e);
  const field = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'delivery-page', 'data-id': d.id, 'data-status': d.status },
      h('div', { class: 'card-head' }, h('h2', {}, 'Delivery'), badge(d.status), h('span', { class: 'spacer' }), h('a', { href: href('webhooks') }, 'Webhooks →')),
      h(
        'dl',
        { class: 'fields' },
        field('Id', h('code', {}, d.id)),
        field('Endpoint', d.url),
        field('Event', d.eventId ? h('a', { href: href(`events/${d.eventId}`), testid: 'delivery-event' }, `${d.eventType}${e ? ` #${e.seq}` : ''}`) : d.eventType),
        doc && field('Document', h('a', { href: href(`documents/${doc}`), testid: 'delivery-document' }, `#${doc}`)),
        field('Attempts', String(d.attempts)),
        field('Created', fmtTime(d.createdAt)),
        d.completedAt && field('Completed', fmtTime(d.completedAt)),
        d.nextAttemptAt && field('Next attempt', fmtTime(d.nextAttemptAt)),
        d.lastError && field('Last error', d.lastError),
      ),
      h('details', { class: 'body' }, h('summary', {}, 'Request body (the same bytes on every attempt)'), h('pre', { testid: 'delivery-body' }, pretty(d.body))),
      h('h3', {}, `Attempts (${d.attemptLog.length})`),
      d.attemptLog.length ? [...d.attemptLog].reverse().map(attemptView) : h('p', { class: 'muted' }, 'Not sent yet.'),
    ),
  );
}
