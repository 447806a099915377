import type { Page } from 'playwright-core';

// The check runs in the page (page.evaluate); the project compiles without the DOM library, so
// the page's globals are declared here, for this file only.
declare const window: { innerWidth: number; innerHeight: number; scrollTo(x: number, y: number): void };
declare const document: any;
declare function getComputedStyle(el: Element): { overflowX: string; visibility: string; display: string };
type Element = any;

/** A real status message (the app's own toast, kind error: it stays until the next one), long enough to wrap on a phone. */
const TOAST = 'Not enough free stock of TS-42 at warehouse North (lot L-0425): asked 12, free 5; the other keys of this warehouse have 3';

/**
 * What is wrong with the page's layout at the current viewport: the page wider than the window,
 * any visible element whose box sticks out past its right edge (except inside a box that scrolls
 * sideways on its own), and any control that another element covers (document.elementFromPoint at
 * its centre, after scrolling it into view, is neither the control nor inside it).
 *
 * withToast: the same while a toast shows, and, at the top and at the bottom of the page, the
 * toast shown where the person is (as after pressing a button there): no control that was wholly
 * in the window may then be under it. The toast takes no pointer events, so elementFromPoint looks through
 * it: its box is compared with each control's instead.
 */
export async function layoutProblems(page: Page, { withToast = false } = {}): Promise<string[]> {
  // The app's own toast function, from the module instance the page already runs (a string, so the
  // import is the page's, not one the test runner would rewrite).
  if (withToast) await page.evaluate(`import(location.origin + '/ui/dom.js').then((m) => { window.layoutToast = m.toast; })`);
  return page.evaluate(({ withToast, message }) => {
    const problems: string[] = [];
    const W = window.innerWidth;
    const name = (el: Element) => {
      const t = el.getAttribute('data-testid');
      const text = (el.textContent ?? '').trim().slice(0, 30);
      return `${el.tagName.toLowerCase()}${t ? `[${t}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${text}"`;
    };
    const visible = (el: Element) => {
      if (el.getClientRects().length === 0) return false;
      // A closed <details> keeps its content laid out but not shown: only its summary counts.
      const closed = el.closest('details:not([open])');
      if (closed && !el.closest('summary')) return false;
      const st = getComputedStyle(el);
      return st.visibility !== 'hidden' && st.display !== 'none';
    };
    const scrollsSideways = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true;
      }
      return false;
    };
    if (document.documentElement.scrollWidth > W) problems.push(`page is ${document.documentElement.scrollWidth}px wide in a ${W}px window`);
    for (const el of document.querySelectorAll('body *')) {
      if (!visible(el) || el.closest('svg title')) continue;
      const r = el.getBoundingClientRect();
      if (r.right > W + 0.5 && !scrollsSideways(el)) problems.push(`${name(el)} reaches ${Math.round(r.right)}px`);
    }
    const controls = () => [...document.querySelectorAll('button, a[href], input, select, summary')].filter((el: Element) => visible(el) && el.type !== 'hidden');
    const toastEl = document.querySelector('#toast');
    const toast = (window as unknown as { layoutToast(m: string, kind: string): void }).layoutToast;
    const showToast = () => {
      toast(message, 'error');
      if (!visible(toastEl)) problems.push('the toast did not show');
    };
    const underToast = (r: { left: number; right: number; top: number; bottom: number }) => {
      if (!withToast || !visible(toastEl)) return false;
      const t = toastEl.getBoundingClientRect();
      return r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top;
    };
    if (withToast) {
      const bottom = document.documentElement.scrollHeight;
      for (const [where, y] of [['top', 0], ['bottom', bottom]] as const) {
        toastEl.hidden = true;
        window.scrollTo(0, y);
        // The controls wholly in the window before the toast shows: none of them may end up under it.
        const inView = controls().filter((el: Element) => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
        });
        showToast();
        for (const el of inView) if (underToast(el.getBoundingClientRect())) problems.push(`${name(el)} is under the toast shown at the ${where} of the page`);
      }
    }
    for (const el of controls()) {
      el.scrollIntoView({ block: 'center', inline: 'center' });
      // A link that wraps onto two lines: the centre of its first line (its box's centre may be
      // between the lines, on the parent).
      const r = el.getClientRects()[0];
      if (r.width === 0 || r.height === 0) continue;
      const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      // A checkbox inside its label answers with the label: the label is the control's own.
      const label = el.closest('label');
      if (!at || !(at === el || el.contains(at) || (label && label.contains(at) && at.contains(el)))) problems.push(`${name(el)} is covered by ${at ? name(at) : 'nothing (off screen)'}`);
      else if (underToast(r)) problems.push(`${name(el)} is under the toast`);
    }
    if (withToast) toastEl.hidden = true;
    window.scrollTo(0, 0);
    return problems;
  }, { withToast, message: TOAST });
}
