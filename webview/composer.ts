// The composer: the human writes to a session. It sends only to the recipient the human chose
// (Send stays off until there is one who can get it), says where a message went, and keeps the
// draft across reloads.
import { sentSummary } from '../src/protocol/panel.ts';
import { renderRecipients, renderReplyChip } from './render/composer.ts';
import { setHtml } from './dom/patch.ts';
import { setSelect } from './dom/select.ts';
import { errorText } from './host.ts';
import type { PanelView } from './model/view-types.ts';
import type { Panel } from './panel.ts';

export class Composer {
  private sending = false;

  constructor(private readonly panel: Panel) {
    const { el, ui } = panel;
    el.body.value = ui.draft.body;
    el.to.addEventListener('change', () => {
      const to = el.to.value;
      ui.draft.to = to;
      ui.draft.toLabel = panel.view?.recipients.find((o) => o.value === to)?.label ?? '';
      if (!to) ui.draft.replyTo = null;
      this.error('');
      panel.saveUi();
      panel.schedule();
    });
    el.body.addEventListener('input', () => {
      ui.draft.body = el.body.value;
      if (el.sendError.textContent) this.error('');
      panel.saveUi();
    });
    el.body.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key !== 'Enter' || e.isComposing || e.shiftKey || e.altKey) return;
      e.preventDefault();
      void this.send();
    });
    el.composer.addEventListener('submit', (e) => { e.preventDefault(); void this.send(); });
  }

  paint(v: PanelView): void {
    const el = this.panel.el;
    setSelect(el.to, renderRecipients(v), v.draft.to);
    el.send.disabled = this.sending || !v.draft.valid;
    const hint = el.sendError.textContent ? '' : v.draft.hint ?? '';
    if (el.sendHint.textContent !== hint) el.sendHint.textContent = hint;
    if (el.body.getAttribute('aria-label') !== v.draft.label) el.body.setAttribute('aria-label', v.draft.label);
    const chip = renderReplyChip(v);
    el.replyChip.hidden = !chip;
    setHtml(el.replyChip, chip);
  }

  async send(): Promise<void> {
    if (this.sending) return;
    const { el, ui } = this.panel;
    const draft = this.panel.view?.draft;
    const body = el.body.value;
    const to = ui.draft.to;
    if (!to) { this.error('Choose who gets the message.'); el.to.focus(); return; }
    if (draft && !draft.valid) { this.error(draft.blocked ?? 'Choose who gets the message.'); el.to.focus(); return; }
    if (!body.trim()) { this.error('Write a message first.'); el.body.focus(); return; }
    this.sending = true;
    el.send.disabled = true;
    this.error('');
    try {
      this.panel.follower.expectOwnMessage();
      const r = to.startsWith('peers:')
        ? await this.panel.host.request('messagePeers', { peerIds: to.slice('peers:'.length).split(',').filter(Boolean), body })
        : await this.panel.host.request('send', ui.draft.replyTo != null ? { to, body, replyTo: ui.draft.replyTo } : { to, body });
      if (!r.sent) {
        this.panel.notices.show('Not sent: the message is still in the composer.', 'info');
        return;
      }
      el.body.value = '';
      ui.draft.body = '';
      ui.draft.replyTo = null;
      this.panel.saveUi();
      this.panel.notices.show(sentSummary(r.recipients), 'success');
      // Where it went, in sight: the stream's newest row is the one just sent.
      this.panel.follower.toBottom();
    } catch (e) {
      this.error(errorText(e));
    } finally {
      this.sending = false;
      this.panel.schedule();
    }
  }

  /** Starts a message to `to` (a peer id or 'peers:<ids>'), optionally as a reply or with a first line. */
  compose(to: string, toLabel: string, body?: string, replyTo: number | null = null): void {
    const { el, ui } = this.panel;
    ui.draft.to = to;
    ui.draft.toLabel = toLabel;
    ui.draft.replyTo = replyTo;
    if (body && !el.body.value.trim()) { el.body.value = body; ui.draft.body = body; }
    this.error('');
    this.panel.saveUi();
    this.panel.schedule();
    requestAnimationFrame(() => this.focus());
  }

  /** Focus where the next keystroke belongs: the recipient while none is chosen, else the text. */
  focus(): void {
    const { el, ui } = this.panel;
    const target = ui.draft.to ? el.body : el.to;
    target.focus();
    el.composer.scrollIntoView({ block: 'nearest' });
  }

  private error(text: string): void {
    const el = this.panel.el;
    el.sendError.textContent = text;
    if (text) el.sendHint.textContent = '';
  }
}
