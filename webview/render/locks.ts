// The Locks & claims section.
import type { ClaimRow, LockRow, PanelView } from '../model/view-types.ts';
import { button, esc, icon } from './html.ts';

export function renderLocks(v: PanelView): string {
  const locks = v.locks.map(renderLock).join('');
  const claims = v.claims.map(renderClaim).join('');
  return (locks ? `<ul class="locks" aria-label="Locks">${locks}</ul>` : '')
    + (claims ? `<ul class="claims" aria-label="File claims">${claims}</ul>` : '')
    || `<p class="muted">No locks or claims.</p>`;
}

function renderLock(l: LockRow): string {
  const h = l.holder;
  const held = h
    ? `held by <strong>${esc(h.name)}</strong>${h.gone ? ' <span class="stale">(gone)</span>' : ''} · ${esc(h.age)} · expires ${esc(h.expires)}${h.reason ? ` · <span class="reason">${esc(h.reason)}</span>` : ''}`
    : 'free';
  const waiters = l.waiters.length ? `<span class="waiters">waiting: ${l.waiters.map(esc).join(', ')}</span>` : '';
  const brk = h
    ? button('breakLock', 'Break', { icon: 'unlock', data: { lock: l.name }, key: `break:${l.name}`, secondary: !h.gone, more: ` the lock ${l.name}, held by ${h.name}` })
    : '';
  return `<li class="lock${h?.gone ? ' stale' : ''}" data-key="${esc(`lock:${l.name}`)}">${icon(h ? 'lock' : 'unlock')}<div class="lock-text"><span class="lock-name">${esc(l.name)}</span> ${held} ${waiters}</div>${brk}</li>`;
}

function renderClaim(c: ClaimRow): string {
  return `<li class="claim${c.gone ? ' stale' : ''}" title="${esc(c.pattern)}">${icon('pin')}<div class="lock-text"><strong>${esc(c.peerName)}</strong> claims <code class="path">${esc(c.label)}</code> · expires ${esc(c.expires)}${c.reason ? ` · <span class="reason">${esc(c.reason)}</span>` : ''}</div></li>`;
}
