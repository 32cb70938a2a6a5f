// Painting HTML strings into the page without losing the human's place: a section's innerHTML is
// only replaced when its HTML changed, and keyboard focus goes back to the element with the same
// data-key afterwards. The stream is reconciled row by row (by key), so unchanged rows stay put.

function focusedKey(within: HTMLElement): string | null {
  const a = document.activeElement;
  if (!a || !within.contains(a)) return null;
  return (a.closest('[data-key]') as HTMLElement | null)?.dataset.key ?? null;
}

function refocus(within: HTMLElement, key: string): void {
  const t = within.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
  if (t && document.activeElement !== t) t.focus({ preventScroll: true });
}

const painted = new WeakMap<HTMLElement, string>();

/** Sets innerHTML when it changed, keeping keyboard focus on the element with the same data-key. Returns whether it did. */
export function setHtml(target: HTMLElement, html: string): boolean {
  if (painted.get(target) === html) return false;
  painted.set(target, html);
  const key = focusedKey(target);
  target.innerHTML = html;
  if (key) refocus(target, key);
  return true;
}

/** A list whose children are keyed rows, patched in place. */
export class KeyedList {
  private rows = new Map<string, { html: string; el: Element }>();
  private readonly template = document.createElement('template');

  constructor(private readonly list: HTMLElement) {}

  /** Reconciles the children with `items`; returns the keys of rows that were not there before. */
  patch(items: readonly { key: string; html: string }[]): string[] {
    const key = focusedKey(this.list);
    const next = new Map<string, { html: string; el: Element }>();
    // Rows to (re)build are parsed together: one innerHTML for a burst, not one per row.
    const build: { key: string; html: string }[] = [];
    for (const it of items) {
      const entry = this.rows.get(it.key);
      if (entry && entry.html === it.html) next.set(it.key, entry);
      else build.push(it);
    }
    const added = build.filter((it) => !this.rows.has(it.key)).map((it) => it.key);
    if (build.length) {
      this.template.innerHTML = build.map((it) => it.html).join('');
      const built = this.template.content.children;
      for (let i = 0; i < build.length; i++) next.set(build[i].key, { html: build[i].html, el: built[i] });
    }
    for (const [k, e] of this.rows) if (next.get(k) !== e) e.el.remove();
    let cursor = this.list.firstElementChild;
    for (const it of items) {
      const e = next.get(it.key)!;
      if (e.el === cursor) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(e.el, cursor);
    }
    this.rows = next;
    if (key) refocus(this.list, key);
    return added;
  }
}

/** Shows a count badge (inside a section's title button, so the count is part of its name). */
export function setCount(slot: HTMLElement, n: number, spoken: string): void {
  setHtml(slot, n ? `<span class="badge" title="${spoken.replace(/"/g, '&quot;')}"><span aria-hidden="true">${n}</span><span class="sr-only">, ${spoken.replace(/</g, '&lt;')}</span></span>` : '');
}
