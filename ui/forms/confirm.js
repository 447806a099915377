// A confirmation in the page (a modal <dialog>), for actions that cannot be taken back: cancelling
// a document, deleting a webhook, replaying events. window.confirm() would block the page and
// cannot say which button does what; this one names the action on its button.
import { h } from '../dom.js';

/**
 * Asks before a consequential action. Resolves true only when the action's own button is pressed;
 * Escape, "Keep" or closing the dialog resolve false.
 */
export function confirmAction({ title, message, confirm, danger = false }) {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'button', class: danger ? 'danger' : '', testid: 'confirm-yes' }, confirm);
    const no = h('button', { type: 'button', class: 'ghost', testid: 'confirm-no' }, 'Keep');
    const dialog = h(
      'dialog',
      { class: 'confirm', testid: 'confirm-dialog', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, message),
      h('div', { class: 'row end' }, no, yes),
    );
    let answer = false;
    yes.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    // The safe choice has the focus: Enter alone never confirms.
    no.focus();
  });
}
