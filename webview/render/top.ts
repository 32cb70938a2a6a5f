// The top of the panel: the broker's status line and the conflict banner, always in sight.
import type { PanelView, StatusLine } from '../model/view-types.ts';
import { button, esc, icon } from './html.ts';

const TONE_ICON = { error: 'error', warning: 'warning', info: 'info' } as const;

export function renderStatus(v: PanelView): string {
  const s: StatusLine | null = v.status;
  if (!s) return '';
  const lead = s.busy ? icon('loading', 'codicon-modifier-spin') : icon(TONE_ICON[s.tone]);
  const actions = s.actions.map((a) => button('runAction', a.label, { data: { run: a.action }, key: `run:${a.action}`, secondary: a.action !== s.actions[0].action })).join('');
  return `<div class="statusline tone-${s.tone}" role="${s.tone === 'error' ? 'alert' : 'status'}">`
    + `<p class="statusline-text">${lead}<span>${esc(s.text)}</span></p>`
    + (actions ? `<div class="actions">${actions}</div>` : '')
    + `</div>`;
}

export function renderBanner(v: PanelView): string {
  if (!v.conflicts.length) return '';
  const shown = v.conflicts.slice(0, 3);
  const more = v.conflicts.length > shown.length ? `<p class="more">and ${v.conflicts.length - shown.length} more files</p>` : '';
  const label = `${v.conflicts.length} file conflict${v.conflicts.length === 1 ? '' : 's'}`;
  return `<section class="banner" aria-label="${esc(label)}">${shown.map(renderConflict).join('')}${more}</section>`;
}

function renderConflict(c: PanelView['conflicts'][number]): string {
  const names = c.peers.map((p) => `<strong>${esc(p.name)}</strong> <span class="how">(${p.how === 'claim' ? 'claimed' : 'edited'} ${esc(p.ago)})</span>`);
  const who = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const ids = c.peers.map((p) => p.id).join(',');
  return `<div class="conflict" data-key="conflict:${esc(c.path)}">`
    + `<p class="conflict-text">${icon('warning')}<span>${who} are both on <code class="path" title="${esc(c.path)}">${esc(c.label)}</code></span></p>`
    + `<div class="actions">`
    + button('openFile', 'Open file', { icon: 'go-to-file', data: { path: c.path }, key: `conflict-open:${c.path}`, secondary: true, more: ` ${c.label}` })
    + button('messagePeers', `Message ${c.peers.length > 2 ? 'all' : 'both'}`, {
      icon: 'comment', data: { peers: ids, path: c.label }, key: `conflict-msg:${c.path}`, secondary: true,
      more: `: ${c.peers.map((p) => p.name).join(' and ')}`,
    })
    + `</div></div>`;
}
