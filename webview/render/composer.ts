// The composer's parts that change: the recipients, the reply chip, and why Send is off.
import type { Option, PanelView } from '../model/view-types.ts';
import { esc, icon } from './html.ts';

function option(o: Option, selected: string): string {
  const text = o.detail ? `${o.label} — ${o.detail}` : o.label;
  return `<option value="${esc(o.value)}"${o.disabled ? ' disabled' : ''}${o.value === selected ? ' selected' : ''} title="${esc(o.detail ?? o.label)}">${esc(text)}</option>`;
}

/** Options of a native <select>, in optgroups when they have groups; `placeholder` is the disabled "nobody yet" choice. */
export function renderOptions(options: readonly Option[], selected: string, placeholder?: string): string {
  let html = placeholder ? `<option value="" disabled${selected === '' ? ' selected' : ''}>${esc(placeholder)}</option>` : '';
  let group: string | undefined;
  for (const o of options) {
    if (o.group !== group) {
      if (group !== undefined) html += '</optgroup>';
      if (o.group !== undefined) html += `<optgroup label="${esc(o.group)}">`;
      group = o.group;
    }
    html += option(o, selected);
  }
  if (group !== undefined) html += '</optgroup>';
  return html;
}

export function renderRecipients(v: PanelView): string {
  return renderOptions(v.recipients, v.draft.to, 'Choose who gets it…');
}

export function renderReplyChip(v: PanelView): string {
  const r = v.draft.replyTo;
  if (!r) return '';
  return `${icon('reply')}<span class="chip-text">Replying to <strong>${esc(r.fromName)}</strong>${r.snippet ? `: ${esc(r.snippet)}` : ''}</span>`
    + `<button type="button" class="icon-button" data-action="clearReply" data-key="clearReply" aria-label="Do not reply, send a new message" title="Send as a new message">${icon('close')}</button>`;
}
