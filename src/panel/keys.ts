import * as React from 'react';

const FOCUSABLE = 'button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), [tabindex="0"]';
const TYPING = new Set(['INPUT', 'SELECT', 'TEXTAREA']);

/**
 * Arrow keys in lists, as in JupyterLab's file browser: ↑/↓ move between the rows of a list or table
 * (to the same action of the next row when there is one), Home/End to the first and last row; the row
 * focused is scrolled into view. Typing in a field keeps its own keys.
 */
export function listKeyNavigation(event: React.KeyboardEvent<HTMLElement>): void {
  const key = event.key;
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(key) || event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  const active = document.activeElement as HTMLElement | null;
  if (!active || (TYPING.has(active.tagName) && (active as HTMLInputElement).type !== 'checkbox')) {
    return;
  }
  const row = active.closest('li, tbody > tr') as HTMLElement | null;
  const list = row?.parentElement;
  if (!row || !list || !event.currentTarget.contains(list)) {
    return;
  }
  const rows = Array.from(list.children).filter(
    (child): child is HTMLElement => child instanceof HTMLElement && child.querySelector(FOCUSABLE) !== null
  );
  const here = rows.indexOf(row);
  const target =
    key === 'Home' ? rows[0] : key === 'End' ? rows[rows.length - 1] : rows[here + (key === 'ArrowDown' ? 1 : -1)];
  if (!target || target === row) {
    return;
  }
  event.preventDefault();
  // The same action in the next row when it has one (e.g. from one Open button to the next), else its first.
  const position = Array.from(row.querySelectorAll<HTMLElement>(FOCUSABLE)).indexOf(active);
  const candidates = Array.from(target.querySelectorAll<HTMLElement>(FOCUSABLE));
  const next = candidates[Math.max(0, Math.min(position, candidates.length - 1))];
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
}
