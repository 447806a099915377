// Cancelling a posted document from its page: a button in the document's header that asks first,
// then posts the reversal (POST /api/v1/documents/:id/cancel) and shows it.
import { api } from '../api.js';
import { h } from '../dom.js';
import { go } from '../router.js';
import { confirmAction } from './confirm.js';
import { newIdempotencyKey } from './document-form.js';

const EFFECT = {
  receipt: 'takes the received quantities out again',
  return: 'takes the returned quantities out again',
  sale: 'puts the sold quantities back',
  writeoff: 'puts the written-off quantities back',
  transfer: 'moves the quantities back',
  count: 'sets each counted key back to its level before the count',
  reserve: 'releases the reservation',
  release: 'reserves the quantities again',
};

/**
 * Adds "Cancel document" to a shown document (documents.js draws it; this only adds the button).
 * Only a standing document that is not itself a reversal can be cancelled; a read token never sees
 * the button (data-write).
 */
export async function mountCancel(root, id, isCurrent) {
  const d = await api(`/api/v1/documents/${encodeURIComponent(id)}`);
  const head = root.querySelector(`[data-testid=document-detail][data-id="${d.id}"] .card-head`);
  if (!isCurrent() || !head || d.status === 'cancelled' || d.reversesDocumentId) return;
  // One key per page: a double click, or a click repeated after a lost answer, cancels once.
  const key = newIdempotencyKey();
  const error = h('span', { class: 'field-error', role: 'alert', testid: 'doc-cancel-error' });
  const button = h('button', { type: 'button', class: 'small danger-outline', testid: 'doc-cancel', 'data-write': true }, 'Cancel document');
  button.addEventListener('click', async () => {
    error.textContent = '';
    const yes = await confirmAction({
      title: `Cancel ${d.type} #${d.id}?`,
      message: `This posts its reversal, which ${EFFECT[d.type] ?? 'undoes its movements'}. The document stays in the history, marked cancelled; a cancellation cannot be cancelled.`,
      confirm: 'Cancel document',
      danger: true,
    });
    if (!yes) return;
    button.disabled = true;
    try {
      await api(`/api/v1/documents/${d.id}/cancel`, { method: 'POST', headers: { 'idempotency-key': key } });
      go(`documents/${d.id}`);
      // The hash did not change when already there: draw the page again for its new state.
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
      button.disabled = false;
    }
  });
  head.insertBefore(h('span', { class: 'cancel-doc' }, button, error), head.querySelector('.spacer'));
}
