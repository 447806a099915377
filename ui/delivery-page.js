// One delivery on its own page (from an event or a document): what was sent, every attempt, and
// the way back to its event and document.
import { api } from './api.js';
import { badge, fill, h } from './dom.js';
import { deliveryBodyAndAttempts, deliveryProgress, field } from './deliveries.js';
import { href } from './router.js';
import { eventDocumentId } from './tail.js';

export async function deliveryView(root, id, isCurrent) {
  const d = await api(`/api/v1/deliveries/${id}`);
  const [e, health] = await Promise.all([
    d.eventId ? api(`/api/v1/events/${d.eventId}`).catch(() => null) : null,
    // A waiting delivery says when its endpoint's breaker lets it go.
    d.status === 'pending' ? api('/api/v1/webhooks/health').then((r) => r.data.find((x) => x.webhookId === d.webhookId), () => null) : null,
  ]);
  if (!isCurrent()) return;
  const doc = e && eventDocumentId(e);
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
        deliveryProgress(d, health),
      ),
      deliveryBodyAndAttempts(d, health),
    ),
  );
}
