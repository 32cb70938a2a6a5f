// The Messages section: the tools above the stream, the rows (memoised: a row's HTML is rebuilt
// only when something it shows changed) and the line above them.
import type { MessageRow, PanelView } from '../model/view-types.ts';
import { esc, icon, iconButton, marked, srOnly } from './html.ts';

const STATE_ICON = { queued: 'clock', delivered: 'check', read: 'check-all' } as const;

function replyRef(r: MessageRow): string {
  const ref = r.replyTo;
  if (!ref) return '';
  const inner = `${icon('reply')}<span>${srOnly('In reply to ')}<strong>${esc(ref.fromName)}</strong> ${esc(ref.snippet)}</span>`;
  return ref.shown
    ? `<button type="button" class="reply-ref" data-action="jump" data-id="${ref.id}" data-key="jump:${r.id}">${inner}</button>`
    : `<p class="reply-ref">${inner}</p>`;
}

function thread(r: MessageRow): string {
  if (!r.thread) return '';
  const items = r.thread.map((t) => {
    const text = `<strong>${esc(t.fromName)}</strong> <time>${esc(t.time)}</time> <span class="snippet">${esc(t.snippet)}</span>`;
    return t.shown
      ? `<li><button type="button" class="thread-item" data-action="jump" data-id="${t.id}" data-key="tjump:${r.id}:${t.id}" title="Go to this reply">${icon('reply')}<span>${text}</span></button></li>`
      : `<li class="thread-item">${icon('reply')}<span>${text}</span></li>`;
  }).join('');
  return `<ul class="thread" id="thread-${r.id}" aria-label="${esc(`Replies to ${r.fromName}`)}">${items}</ul>`;
}

export function renderRow(r: MessageRow, query = ''): string {
  const cls = ['msg', r.human ? 'from-human' : '', r.toHuman ? 'to-human' : '', r.unread ? 'unread' : '', r.replyTo ? 'is-reply' : '', r.muted ? 'muted' : ''].filter(Boolean).join(' ');
  const stateTitle = r.recipients.map((x) => `${x.name}: ${x.state}`).join('\n');
  const head = `<div class="msg-head" id="mh-${r.id}"><span class="msg-who">${icon(r.human ? 'person' : 'hubot', 'who')}<span class="from">${marked(r.fromName, query)}</span>`
    + `<span class="arrow" aria-hidden="true">→</span><span class="sr-only"> to </span><span class="to${r.toHuman ? ' you' : ''}">${r.broadcast ? icon('broadcast') : ''}${marked(r.toLabel, query)}</span>`
    + (r.unread ? `<span class="sr-only">, unread</span>` : '')
    + `</span><span class="msg-meta">`
    + `<span class="state state-${r.state}" title="${esc(stateTitle)}">${icon(STATE_ICON[r.state])}<span class="state-label">${esc(r.stateLabel)}</span></span>`
    + `<time datetime="${esc(r.sentAt)}" title="${esc(new Date(r.sentAt).toLocaleString())}">${esc(r.time)}</time>`
    + (r.canReply ? iconButton('reply', `Reply to ${r.fromName}`, 'reply', { id: String(r.id), peer: r.fromId }, `reply:${r.id}`) : '')
    + `</span></div>`;
  const open = `<li class="${cls}" id="msg-${r.id}" data-key="m:${r.id}" data-item tabindex="-1" aria-labelledby="mh-${r.id}"`;
  if (r.muted) {
    return `${open}>${head}<div class="msg-actions"><span class="muted-text">muted</span>`
      + `<button type="button" class="link small" data-action="reveal" data-id="${r.id}" data-key="reveal:${r.id}" aria-label="${esc(`Show this message from ${r.fromName}`)}">Show</button></div></li>`;
  }
  const actions: string[] = [];
  if (r.foldable) {
    actions.push(`<button type="button" class="link small" data-action="fold" data-id="${r.id}" data-key="fold:${r.id}" aria-expanded="${!r.folded}">${r.folded ? 'Show more' : 'Show less'}</button>`);
  }
  if (r.replies) {
    const text = `${r.replies} repl${r.replies === 1 ? 'y' : 'ies'}`;
    actions.push(`<button type="button" class="link small replies" data-action="thread" data-id="${r.id}" data-key="thread:${r.id}" aria-expanded="${!!r.thread}" aria-controls="thread-${r.id}">${icon(r.thread ? 'chevron-down' : 'chevron-right')}<span>${text}</span></button>`);
  }
  // data-read: the read tracker watches it; once the panel has shown the row, it is read.
  return `${open} aria-describedby="mb-${r.id}"${r.unread ? ` data-read="${r.id}"` : ''}>`
    + head
    + replyRef(r)
    + `<div class="body${r.folded ? ' folded' : ''}" id="mb-${r.id}">${marked(r.body, query)}</div>`
    + (actions.length ? `<div class="msg-actions">${actions.join('')}</div>` : '')
    + thread(r)
    + `</li>`;
}

// Rows rarely change once sent (only their delivery state moves), so their HTML is kept by a
// signature of everything that can change; a frame then only builds the rows that did.
const rowMemo = new Map<string, { sig: string; html: string }>();
const ROW_MEMO_MAX = 3000;
function rowSignature(r: MessageRow, query: string): string {
  return `${query}|${r.sentAt}|${r.fromId}|${r.body.length}|${r.fromName}|${r.toLabel}|${r.recipients.map((x) => x.state).join(',')}|${r.folded}|${r.foldable}|${r.muted}`
    + `|${r.replyTo ? `${r.replyTo.shown}${r.replyTo.fromName}` : ''}|${r.replies}|${r.thread ? r.thread.map((t) => `${t.id}${t.shown}`).join(',') : '-'}|${r.canReply}|${r.unread}|${r.time}`;
}

/** Forgets every memoised row (the bench measures cold renders with it). */
export function clearRowMemo(): void {
  rowMemo.clear();
}

export function renderRowCached(r: MessageRow, query: string): string {
  const sig = rowSignature(r, query);
  const hit = rowMemo.get(r.key);
  if (hit && hit.sig === sig) return hit.html;
  const html = renderRow(r, query);
  if (!hit && rowMemo.size >= ROW_MEMO_MAX) rowMemo.delete(rowMemo.keys().next().value!);
  rowMemo.set(r.key, { sig, html });
  return html;
}

export function renderStream(v: PanelView): { key: string; html: string }[] {
  return v.stream.rows.map((r) => ({ key: r.key, html: renderRowCached(r, v.stream.query) }));
}

export function renderStreamHead(v: PanelView): string {
  const s = v.stream;
  if (!s.total) {
    if (!v.connected && !v.counts.messages) return `<p class="muted">Messages show here once the panel is connected to the broker.</p>`;
    if (s.query) return `<p class="muted">No message${s.filter ? ` ${s.filter.value === 'human' ? 'to or from you' : `of ${esc(s.filter.label)}`}` : ''} contains “${esc(s.query)}”.</p>`;
    return `<p class="muted">${s.filter ? `No messages ${s.filter.value === 'human' ? 'to or from you' : `of ${esc(s.filter.label)}`} yet.` : 'No messages yet. Peers\u2019 messages to each other and to you appear here as they are sent.'}</p>`;
  }
  const found = s.query ? `<p class="muted" role="status">${s.total} ${s.total === 1 ? 'message contains' : 'messages contain'} “${esc(s.query)}”</p>` : '';
  const older = s.olderHidden
    ? `<button type="button" class="link small" data-action="older" data-key="older">${icon('history')}Show older (${s.olderHidden} more)</button>`
    : '';
  return found + older;
}
