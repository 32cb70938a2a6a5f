// One tab stop per list (the peer cards, the message rows): Up/Down (Home/End) move between
// items, Right goes into the focused item's own buttons (then Tab and Shift+Tab move among them),
// Left or Escape comes back to the item, and Tab from an item leaves the list. Without it every
// button of every card and row was a tab stop before the composer.
const CONTROLS = 'button, [href], input, select, textarea';

export class RovingList {
  private active: string | null = null;

  constructor(private readonly root: HTMLElement, private readonly onEnter?: (item: HTMLElement) => void) {
    root.addEventListener('focusin', (e) => {
      const item = this.itemOf(e.target as HTMLElement);
      if (item) { this.active = item.dataset.key ?? null; this.refresh(); }
    });
    root.addEventListener('focusout', (e) => {
      if (!root.contains(e.relatedTarget as Node | null)) queueMicrotask(() => this.refresh());
    });
    root.addEventListener('keydown', (e) => this.key(e));
  }

  private items(): HTMLElement[] {
    return [...this.root.querySelectorAll<HTMLElement>('[data-item]')];
  }

  private itemOf(el: HTMLElement | null): HTMLElement | null {
    const item = el?.closest?.<HTMLElement>('[data-item]') ?? null;
    return item && this.root.contains(item) ? item : null;
  }

  /** Puts the tab stops right after a repaint: the active item (else the last one) and, while focus is in it, its controls. */
  refresh(fallback: 'first' | 'last' = 'first'): void {
    const items = this.items();
    if (!items.length) return;
    let active = this.active ? items.find((i) => i.dataset.key === this.active) : undefined;
    if (!active) active = fallback === 'first' ? items[0] : items[items.length - 1];
    const focused = document.activeElement as HTMLElement | null;
    // The item's controls are tab stops only while focus is on one of them.
    const controlsOf = focused && focused.matches(CONTROLS) ? this.itemOf(focused) : null;
    for (const item of items) {
      item.tabIndex = item === active ? 0 : -1;
      const inner = item === controlsOf ? 0 : -1;
      for (const c of item.querySelectorAll<HTMLElement>(CONTROLS)) if (c.tabIndex !== inner) c.tabIndex = inner;
    }
  }

  private controls(item: HTMLElement): HTMLElement[] {
    return [...item.querySelectorAll<HTMLElement>(CONTROLS)].filter((c) => !(c as HTMLButtonElement).disabled && c.offsetParent !== null);
  }

  private key(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    const item = this.itemOf(target);
    if (!item) return;
    if (target !== item) {
      // On one of the item's controls: Left from the first one, or Escape, goes back to the item.
      const controls = this.controls(item);
      if (e.key === 'Escape' || (e.key === 'ArrowLeft' && controls[0] === target)) { e.preventDefault(); item.focus(); }
      return;
    }
    if (e.key === 'ArrowRight') {
      const first = this.controls(item)[0];
      if (first) { e.preventDefault(); first.tabIndex = 0; first.focus(); }
      return;
    }
    const items = this.items();
    const i = items.indexOf(item);
    let to: HTMLElement | undefined;
    if (e.key === 'ArrowDown') to = items[i + 1];
    else if (e.key === 'ArrowUp') to = items[i - 1];
    else if (e.key === 'Home') to = items[0];
    else if (e.key === 'End') to = items[items.length - 1];
    else if (e.key === 'Enter' && this.onEnter) { e.preventDefault(); this.onEnter(item); return; }
    if (to) { e.preventDefault(); to.focus(); to.scrollIntoView({ block: 'nearest' }); }
  }
}
