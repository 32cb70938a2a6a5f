// Short-lived lines for the human: a notice under the status line (confirmations, action errors)
// and an off-screen live region that reads out what arrives while the human looks elsewhere.
import { escapeHtml } from '../../src/protocol/html.ts';

const NOTICE_MS = 8000;

export class Notices {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly notice: HTMLElement, private readonly announcer: HTMLElement) {}

  show(text: string, kind: 'error' | 'info' | 'success' = 'error'): void {
    clearTimeout(this.timer);
    const glyph = kind === 'error' ? 'error' : kind === 'success' ? 'pass' : 'info';
    this.notice.innerHTML = text
      ? `<div class="notice ${kind}"><span class="codicon codicon-${glyph}" aria-hidden="true"></span><span>${escapeHtml(text)}</span>`
        + `<button type="button" class="icon-button" data-action="dismiss" aria-label="Dismiss"><span class="codicon codicon-close" aria-hidden="true"></span></button></div>`
      : '';
    if (text) this.timer = setTimeout(() => this.show(''), NOTICE_MS);
  }

  /** Reads `text` out to screen readers (politely), without showing anything. */
  announce(text: string): void {
    this.announcer.textContent = '';
    // A fresh text node after clearing: the same sentence twice is read twice.
    requestAnimationFrame(() => { this.announcer.textContent = text; });
  }
}
