// Turns a PanelView into HTML strings, one per section (and one per stream row, so the DOM layer
// can reuse rows that did not change). Pure string work: no DOM, so the bench and the unit tests
// run it in node. Every interpolated value goes through esc(); every action is a `data-action`
// attribute handled by one delegated listener (no inline handlers: the CSP forbids them).
import type { ConflictBanner, LockRow, ClaimRow, MessageRow, Option, PanelView, PeerCard, PeerGroup } from './view-model.ts';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}

const icon = (name: string, extra = '') => `<span class="codicon codicon-${name}${extra ? ` ${extra}` : ''}" aria-hidden="true"></span>`;
/** An icon in a toolkit button's `start` slot. */
const startIcon = (name: string) => `<span slot="start" class="codicon codicon-${name}" aria-hidden="true"></span>`;

function iconButton(action: string, label: string, iconName: string, data: Record<string, string>, key: string): string {
  const attrs = Object.entries(data).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  return `<button type="button" class="icon-button" data-action="${action}"${attrs} data-key="${esc(key)}" aria-label="${esc(label)}" title="${esc(label)}">${icon(iconName)}</button>`;
}

// ---- conflicts -----------------------------------------------------------------------------

export function renderBanner(v: PanelView): string {
  if (!v.conflicts.length) return '';
  const shown = v.conflicts.slice(0, 3);
  const items = shown.map((c) => renderConflict(c)).join('');
  const more = v.conflicts.length > shown.length ? `<p class="more">and ${v.conflicts.length - shown.length} more files</p>` : '';
  return `<div class="banner" role="alert" aria-label="${esc(`${v.conflicts.length} file conflict${v.conflicts.length === 1 ? '' : 's'}`)}">${items}${more}</div>`;
}

function renderConflict(c: ConflictBanner): string {
  const names = c.peers.map((p) => `<strong>${esc(p.name)}</strong> <span class="how">(${p.how === 'claim' ? 'claimed' : 'edited'} ${esc(p.ago)})</span>`);
  const who = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const ids = c.peers.map((p) => p.id).join(',');
  return `<div class="conflict" data-key="conflict:${esc(c.path)}">`
    + `<div class="conflict-text">${icon('warning')}<span>${who} are both on <code class="path" title="${esc(c.path)}">${esc(c.label)}</code></span></div>`
    + `<div class="actions">`
    + `<vscode-button appearance="secondary" data-action="openFile" data-path="${esc(c.path)}" data-key="conflict-open:${esc(c.path)}" aria-label="${esc(`Open ${c.label}`)}">${startIcon('go-to-file')}Open file</vscode-button>`
    + `<vscode-button appearance="secondary" data-action="messagePeers" data-peers="${esc(ids)}" data-path="${esc(c.label)}" data-key="conflict-msg:${esc(c.path)}" aria-label="${esc(`Message ${c.peers.map((p) => p.name).join(' and ')}`)}">${startIcon('comment')}Message ${c.peers.length > 2 ? 'all' : 'both'}</vscode-button>`
    + `</div></div>`;
}

// ---- peers ---------------------------------------------------------------------------------

export function renderPeersToolbar(v: PanelView): string {
  const scope = v.hasWorkspace
    ? `<div class="segmented" role="group" aria-label="Which peers">`
      + `<button type="button" data-action="scope" data-scope="workspace" data-key="scope:workspace" aria-pressed="${v.scope === 'workspace'}">Workspace</button>`
      + `<button type="button" data-action="scope" data-scope="machine" data-key="scope:machine" aria-pressed="${v.scope === 'machine'}">Machine${v.counts.elsewhere ? ` <span class="count">+${v.counts.elsewhere}</span>` : ''}</button>`
      + `</div>`
    : '';
  const gone = v.counts.gone
    ? `<button type="button" class="toggle" data-action="showGone" data-key="showGone" aria-pressed="${v.showGone}" title="Show peers that have ended">${icon(v.showGone ? 'eye' : 'eye-closed')}<span>${v.counts.gone} gone</span></button>`
    : '';
  return scope + gone;
}

export function renderPeers(v: PanelView): string {
  let html = '';
  if (v.empty) html += renderEmpty(v);
  for (const g of v.groups) html += renderGroup(g, v.groups.length > 1 || g.id !== 'workspace');
  return html;
}

function renderEmpty(v: PanelView): string {
  const elsewhere = v.empty?.elsewhere ?? 0;
  const title = elsewhere ? 'No Claude Code session in this workspace' : 'No Claude Code session yet';
  return `<div class="empty">`
    + `<div class="empty-icon">${icon('organization')}</div>`
    + `<h3>${title}</h3>`
    + `<p>Every <code>claude</code> session started on this machine joins on its own and shows up here: what it works on, the files it edits, its messages.</p>`
    + `<ol class="steps"><li>Open a terminal.</li><li>Run <code>claude</code>.</li><li>Start a second one: they can now find and message each other, and you can write to them below.</li></ol>`
    + `<vscode-button data-action="openTerminal" data-key="openTerminal">${startIcon('terminal')}Open a terminal</vscode-button>`
    + (elsewhere ? `<p><button type="button" class="link" data-action="scope" data-scope="machine" data-key="empty-scope">Show the ${elsewhere} peer${elsewhere === 1 ? '' : 's'} elsewhere on this machine</button></p>` : '')
    + `</div>`;
}

function renderGroup(g: PeerGroup, titled: boolean): string {
  const head = titled ? `<h3 class="group-title">${esc(g.label)} <span class="count">${g.cards.length}</span></h3>` : '';
  return `<div class="group group-${g.id}">${head}<div class="cards">${g.cards.map(renderCard).join('')}</div></div>`;
}

export function renderCard(c: PeerCard): string {
  const k = (s: string) => `${s}:${c.id}`;
  const aria = [c.name, c.statusLabel, c.task ? `task: ${c.task}` : '', c.conflicts ? `${c.conflicts} conflicting file${c.conflicts === 1 ? '' : 's'}` : '']
    .filter(Boolean).join(', ');
  const actions = [
    c.status !== 'gone' ? iconButton('compose', `Message ${c.name}`, 'comment', { peer: c.id }, k('compose')) : '',
    iconButton('filterPeer', `Show messages of ${c.name}`, 'filter', { peer: c.id }, k('filter')),
  ].join('');
  const unread = c.unread ? `<vscode-badge class="unread" aria-label="${c.unread} unread from ${esc(c.name)}" title="${c.unread} unread">${c.unread}</vscode-badge>` : '';
  const facts: string[] = [];
  facts.push(`<li title="${esc(c.cwd)}">${icon('folder')}<span class="path">${esc(c.cwdLabel || '.')}</span></li>`);
  if (c.repo || c.branch) facts.push(`<li>${icon('git-branch')}<span>${esc([c.repo, c.branch].filter(Boolean).join(' · '))}</span></li>`);
  if (c.terminal) {
    facts.push(`<li><button type="button" class="link" data-action="revealTerminal" data-peer="${esc(c.id)}" data-key="${esc(k('terminal'))}" aria-label="${esc(`Show terminal ${c.terminal}`)}">${icon('terminal')}<span>${esc(c.terminal)}</span></button></li>`);
  }
  const task = c.task
    ? `<p class="task" title="${esc(c.taskIsSummary ? 'Summary set by the session' : 'Its last prompt')}">${icon(c.taskIsSummary ? 'comment-discussion' : 'edit')}<span>${esc(c.task)}</span></p>`
    : '';
  const files = c.files.length
    ? `<ul class="files" aria-label="${esc(`Files ${c.name} edited, most recent first`)}">${c.files.map((f) => `<li><button type="button" class="file${f.conflict ? ' conflict' : ''}" data-action="openFile" data-path="${esc(f.path)}" data-key="${esc(`file:${c.id}:${f.path}`)}" title="${esc(`${f.path}\n${f.tool} ${f.ago}${f.conflict ? '\nanother peer is on this file too' : ''}`)}" aria-label="${esc(`Open ${f.label}${f.conflict ? ', conflict' : ''}, edited ${f.ago}`)}">${icon(f.conflict ? 'warning' : 'file')}<span class="path">${esc(f.label)}</span><span class="ago">${esc(f.ago)}</span></button></li>`).join('')}</ul>`
    : '';
  const more = c.moreFiles > 0 || c.open
    ? `<button type="button" class="link small" data-action="toggleCard" data-peer="${esc(c.id)}" data-key="${esc(k('more'))}" aria-expanded="${c.open}">${c.open ? 'Fewer files' : `${c.moreFiles} more file${c.moreFiles === 1 ? '' : 's'}`}</button>`
    : '';
  return `<article class="card status-${c.status}${c.conflicts ? ' has-conflict' : ''}" data-key="${esc(k('peer'))}" data-peer="${esc(c.id)}" tabindex="0" aria-label="${esc(aria)}">`
    + `<header class="card-head"><span class="dot" aria-hidden="true"></span><h4 class="name">${esc(c.name)}</h4>${unread}<span class="spacer"></span>${actions}</header>`
    + `<p class="status" title="${esc(`last seen ${c.lastSeen}`)}">${esc(c.statusLabel)}</p>`
    + task
    + `<ul class="facts">${facts.join('')}</ul>`
    + files + more
    + `</article>`;
}

// ---- locks and claims ------------------------------------------------------------------------

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
    ? `<vscode-button appearance="${h.gone ? 'primary' : 'secondary'}" data-action="breakLock" data-lock="${esc(l.name)}" data-key="${esc(`break:${l.name}`)}" aria-label="${esc(`Break the lock ${l.name} held by ${h.name}`)}">${startIcon('unlock')}Break</vscode-button>`
    : '';
  return `<li class="lock${h?.gone ? ' stale' : ''}" data-key="${esc(`lock:${l.name}`)}">${icon(h ? 'lock' : 'unlock')}<div class="lock-text"><span class="lock-name">${esc(l.name)}</span> ${held} ${waiters}</div>${brk}</li>`;
}

function renderClaim(c: ClaimRow): string {
  return `<li class="claim${c.gone ? ' stale' : ''}" title="${esc(c.pattern)}">${icon('pin')}<div class="lock-text"><strong>${esc(c.peerName)}</strong> claims <code class="path">${esc(c.label)}</code> · expires ${esc(c.expires)}${c.reason ? ` · <span class="reason">${esc(c.reason)}</span>` : ''}</div></li>`;
}

// ---- the message stream --------------------------------------------------------------------

const STATE_ICON = { queued: 'clock', delivered: 'check', read: 'check-all' } as const;

export function renderRow(r: MessageRow): string {
  const cls = ['msg', r.human ? 'from-human' : '', r.toHuman ? 'to-human' : '', r.unread ? 'unread' : '', r.replyTo ? 'is-reply' : ''].filter(Boolean).join(' ');
  const stateTitle = r.recipients.map((x) => `${x.name}: ${x.state}`).join('\n');
  const aria = `${r.fromName} to ${r.toLabel}, ${r.time}, ${r.stateLabel}${r.unread ? ', unread' : ''}`;
  const ref = r.replyTo
    ? (r.replyTo.shown
      ? `<button type="button" class="reply-ref" data-action="jump" data-id="${r.replyTo.id}" data-key="jump:${r.id}" aria-label="${esc(`In reply to ${r.replyTo.fromName}: ${r.replyTo.snippet}`)}">${icon('reply')}<span><strong>${esc(r.replyTo.fromName)}</strong> ${esc(r.replyTo.snippet)}</span></button>`
      : `<p class="reply-ref">${icon('reply')}<span><strong>${esc(r.replyTo.fromName)}</strong> ${esc(r.replyTo.snippet)}</span></p>`)
    : '';
  const actions: string[] = [];
  if (r.foldable) {
    actions.push(`<button type="button" class="link small" data-action="fold" data-id="${r.id}" data-key="fold:${r.id}" aria-expanded="${!r.folded}">${r.folded ? 'Show more' : 'Show less'}</button>`);
  }
  if (r.replies) actions.push(`<span class="replies">${r.replies} repl${r.replies === 1 ? 'y' : 'ies'}</span>`);
  return `<li class="${cls}" id="msg-${r.id}" data-key="m:${r.id}" tabindex="-1" aria-label="${esc(aria)}">`
    + `<div class="msg-head">${icon(r.human ? 'person' : 'hubot', 'who')}<span class="from">${esc(r.fromName)}</span>`
    + `<span class="arrow" aria-hidden="true">→</span><span class="to${r.toHuman ? ' you' : ''}">${r.broadcast ? icon('broadcast') : ''}${esc(r.toLabel)}</span>`
    + `<span class="spacer"></span>`
    + (r.canReply ? iconButton('reply', `Reply to ${r.fromName}`, 'reply', { id: String(r.id), peer: r.fromId }, `reply:${r.id}`) : '')
    + `<span class="state state-${r.state}" title="${esc(stateTitle)}">${icon(STATE_ICON[r.state])}<span class="state-label">${esc(r.stateLabel)}</span></span>`
    + `<time datetime="${esc(r.sentAt)}" title="${esc(new Date(r.sentAt).toLocaleString())}">${esc(r.time)}</time></div>`
    + ref
    + `<div class="body${r.folded ? ' folded' : ''}">${esc(r.body)}</div>`
    + (actions.length ? `<div class="msg-actions">${actions.join('')}</div>` : '')
    + `</li>`;
}

// Rows rarely change once sent (only their delivery state moves), so their HTML is kept by a
// signature of everything that can change; a frame then only builds the rows that did.
const rowMemo = new Map<string, { sig: string; html: string }>();
const ROW_MEMO_MAX = 3000;
function rowSignature(r: MessageRow): string {
  return `${r.sentAt}|${r.fromId}|${r.body.length}|${r.fromName}|${r.toLabel}|${r.recipients.map((x) => x.state).join(',')}|${r.folded}|${r.foldable}|${r.replyTo ? `${r.replyTo.shown}${r.replyTo.fromName}` : ''}|${r.replies}|${r.canReply}|${r.unread}|${r.time}`;
}
/** Forgets every memoised row (the bench measures cold renders with it). */
export function clearRowMemo(): void {
  rowMemo.clear();
}

export function renderRowCached(r: MessageRow): string {
  const sig = rowSignature(r);
  const hit = rowMemo.get(r.key);
  if (hit && hit.sig === sig) return hit.html;
  const html = renderRow(r);
  if (!hit && rowMemo.size >= ROW_MEMO_MAX) rowMemo.delete(rowMemo.keys().next().value!);
  rowMemo.set(r.key, { sig, html });
  return html;
}

export function renderStream(v: PanelView): { key: string; html: string }[] {
  return v.stream.rows.map((r) => ({ key: r.key, html: renderRowCached(r) }));
}

export function renderStreamHead(v: PanelView): string {
  const s = v.stream;
  if (!s.total) {
    return `<p class="muted">${s.filter ? `No messages ${s.filter.value === 'human' ? 'to or from you' : `of ${esc(s.filter.label)}`} yet.` : 'No messages yet. Peers\u2019 messages to each other and to you appear here as they are sent.'}</p>`;
  }
  return s.olderHidden
    ? `<button type="button" class="link small" data-action="older" data-key="older">${icon('history')}Show older (${s.olderHidden} more)</button>`
    : '';
}

// ---- dropdown options ----------------------------------------------------------------------

export function renderOptions(options: readonly Option[], placeholder?: string): string {
  const head = placeholder ? `<vscode-option value="">${esc(placeholder)}</vscode-option>` : '';
  return head + options.map((o) => `<vscode-option value="${esc(o.value)}"${o.disabled ? ' disabled' : ''} title="${esc(o.detail ?? o.label)}">${esc(o.detail ? `${o.label} — ${o.detail}` : o.label)}</vscode-option>`).join('');
}

export function renderStatus(v: PanelView): string {
  if (v.connected) return '';
  return `<div class="offline" role="status">${icon('debug-disconnect')}<span>Not connected to the claude-peers broker. Reconnecting…</span></div>`;
}

/** Every section of the panel as one string (for the bench and tests). */
export function renderAll(v: PanelView): string {
  return [
    renderStatus(v), renderBanner(v), renderPeersToolbar(v), renderPeers(v), renderLocks(v),
    renderStreamHead(v), ...renderStream(v).map((r) => r.html),
    renderOptions(v.recipients, 'Choose who gets it'), renderOptions(v.stream.filterOptions),
  ].join('');
}

/** The static frame the sections are painted into (built once by main.ts). */
export function renderShell(): string {
  const section = (id: string, title: string, extra: string, body: string) =>
    `<section class="section" id="sec-${id}" aria-labelledby="${id}-title">`
    + `<header class="section-head"><h2 id="${id}-title"><button type="button" class="twisty" data-action="section" data-section="${id}" data-key="sec:${id}" aria-expanded="true" aria-controls="${id}-body">${icon('chevron-down', 'chevron')}<span>${title}</span></button></h2>`
    + `<vscode-badge id="${id}-count" hidden></vscode-badge><span class="spacer"></span>${extra}</header>`
    + `<div class="section-body" id="${id}-body">${body}</div></section>`;
  return `<div id="top"><div id="status"></div><div id="notice" role="status" aria-live="polite"></div><div id="banner"></div></div>`
    + `<div id="scroll">`
    + section('peers', 'Peers', '<div id="peers-toolbar" class="toolbar"></div>', '<div id="peers-list"></div>')
    + section('locks', 'Locks &amp; claims', '', '<div id="locks-list"></div>')
    + section('messages', 'Messages', '',
      `<div class="filter-row"><label class="sr-only" for="filter">Show messages of</label><vscode-dropdown id="filter" aria-label="Show messages of"></vscode-dropdown></div>`
      + `<div id="stream-head"></div><div id="stream-scroll" tabindex="0" aria-label="Message stream"><ol id="stream" role="log" aria-live="polite" aria-relevant="additions" aria-label="Messages, oldest first"></ol></div>`)
    + `</div>`
    + `<form id="composer" aria-label="Send a message to peers" novalidate>`
    + `<vscode-divider role="presentation"></vscode-divider>`
    + `<div id="reply-chip" hidden></div>`
    + `<label class="sr-only" for="to">Send to</label><vscode-dropdown id="to" aria-label="Send to"></vscode-dropdown>`
    + `<vscode-text-area id="body" rows="3" resize="vertical" placeholder="Message (Enter sends, Shift+Enter for a new line)" aria-label="Message"></vscode-text-area>`
    + `<div class="composer-foot"><span id="send-error" class="error" role="alert"></span><span class="spacer"></span>`
    + `<vscode-button id="send" type="button" data-action="send" aria-label="Send message">${startIcon('send')}Send</vscode-button></div>`
    + `</form>`;
}
