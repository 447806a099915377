// One date style for the whole dashboard: "2026-12-06 14:37", 24-hour, in the browser's time zone
// or in UTC (the header's switch). The zone is named once, in the header, never beside each time.
// Time inputs are plain text in the same style, so what a person types looks like what they read
// (a datetime-local input shows the browser's locale: mm/dd/yyyy and 12-hour clocks in en-US).

const KEY = 'stockhook.utc';
const listeners = new Set();

export const clock = {
  get utc() {
    try {
      return localStorage.getItem(KEY) === '1';
    } catch {
      return false;
    }
  },
  set utc(on) {
    try {
      localStorage.setItem(KEY, on ? '1' : '0');
    } catch {
      // Storage refused (private mode): the switch holds for this page only.
    }
    for (const fn of listeners) fn();
  },
  /** fn() after each switch. */
  onChange(fn) {
    listeners.add(fn);
  },
};

/** The zone times are shown in: "UTC", or the browser's IANA zone. */
export function zoneName() {
  if (clock.utc) return 'UTC';
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

const p2 = (n) => String(n).padStart(2, '0');

function fields(ms) {
  const d = new Date(ms);
  return clock.utc
    ? { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() }
    : { y: d.getFullYear(), mo: d.getMonth() + 1, d: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds() };
}

/** "2026-12-06 14:37" (with ":05" seconds when asked) for an ISO string or epoch ms; "—" for none. */
export function fmtTime(when, { seconds = false } = {}) {
  if (when === null || when === undefined || when === '') return '—';
  const ms = typeof when === 'number' ? when : Date.parse(when);
  if (!Number.isFinite(ms)) return '—';
  const f = fields(ms);
  return `${f.y}-${p2(f.mo)}-${p2(f.d)} ${p2(f.h)}:${p2(f.mi)}${seconds ? `:${p2(f.s)}` : ''}`;
}

/** "14:37" (or "12-06 14:37" when the span covers more than a day): chart axes. */
export function fmtClock(ms, spanMs = 0) {
  const f = fields(ms);
  const t = `${p2(f.h)}:${p2(f.mi)}`;
  return spanMs > 86400_000 ? `${p2(f.mo)}-${p2(f.d)} ${t}` : t;
}

const INPUT = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*$/;

/**
 * A typed time ("2026-12-06 14:37", "2026-12-06", seconds optional) in the shown zone as ISO;
 * undefined when empty; null when it is not a real time in that style.
 */
export function parseTime(text) {
  if (!text || !text.trim()) return undefined;
  const m = INPUT.exec(text);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
  const date = clock.utc ? new Date(Date.UTC(y, mo - 1, d, h, mi, s)) : new Date(y, mo - 1, d, h, mi, s);
  // 2026-02-31 rolls over to March: not the time that was typed.
  const back = fields(date.getTime());
  if (back.y !== y || back.mo !== mo || back.d !== d || back.h !== h || back.mi !== mi) return null;
  return date.toISOString();
}

/** A text input for a time in the dashboard's style; `.iso()` reads it (throws on a malformed one). */
export function timeInput(doc, { value, testid, title, label }) {
  const el = doc.createElement('input');
  el.type = 'text';
  el.inputMode = 'numeric';
  el.placeholder = 'YYYY-MM-DD HH:mm';
  el.className = 'time';
  el.autocomplete = 'off';
  if (testid) el.setAttribute('data-testid', testid);
  if (title) el.title = title;
  el.setAttribute('aria-label', label || title || 'time');
  if (value) el.value = fmtTime(value);
  el.iso = () => {
    const iso = parseTime(el.value);
    if (iso === null) {
      el.setCustomValidity('Type a time as YYYY-MM-DD HH:mm');
      el.reportValidity();
      throw new Error(`"${el.value}" is not a time: type it as YYYY-MM-DD HH:mm (${zoneName()})`);
    }
    el.setCustomValidity('');
    return iso;
  };
  el.addEventListener('input', () => el.setCustomValidity(''));
  return el;
}
