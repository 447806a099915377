import type { Page } from 'playwright-core';

// The check runs in the page (page.evaluate); the project compiles without the DOM library, so
// the page's globals are declared here, for this file only.
declare const window: { innerWidth: number; scrollTo(x: number, y: number): void };
declare const document: any;
declare function getComputedStyle(el: Element): { overflowX: string; visibility: string; display: string };
type Element = any;

/**
 * What is wrong with the page's layout at the current viewport: the page wider than the window,
 * any visible element whose box sticks out past its right edge (except inside a box that scrolls
 * sideways on its own), and any control that another element covers (document.elementFromPoint at
 * its centre, after scrolling it into view, is neither the control nor inside it).
 */
export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
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
    for (const el of document.querySelectorAll('button, a[href], input, select, summary')) {
      if (!visible(el) || el.type === 'hidden') continue;
      el.scrollIntoView({ block: 'center', inline: 'center' });
      // A link that wraps onto two lines: the centre of its first line (its box's centre may be
      // between the lines, on the parent).
      const r = el.getClientRects()[0];
      if (r.width === 0 || r.height === 0) continue;
      const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      // A checkbox inside its label answers with the label: the label is the control's own.
      const label = el.closest('label');
      if (!at || !(at === el || el.contains(at) || (label && label.contains(at) && at.contains(el)))) problems.push(`${name(el)} is covered by ${at ? name(at) : 'nothing (off screen)'}`);
    }
    window.scrollTo(0, 0);
    return problems;
  });
}
