// The peer panel's webview script: mirrors the host's picture (snapshot + batched changes), keeps
// the panel's own UI state (vscode.setState), and paints at most once per animation frame. All the
// deciding is in view-model.ts and all the markup in render.ts; this file is the DOM glue.
import { PANEL_PROTOCOL_VERSION } from '../src/protocol/panel.ts';
import type { HostToWebview, PanelContext, PanelMethod, PanelParams, PanelResult, WebviewToHost } from '../src/protocol/panel.ts';
import { applyChanges, emptySnapshot } from './mirror.ts';
import { buildView, sanitizeUiState, STREAM_WINDOW, type PanelView, type SectionId, type UiState } from './view-model.ts';
import {
  renderBanner, renderLocks, renderOptions, renderPeers, renderPeersToolbar, renderShell, renderStatus, renderStream, renderStreamHead,
} from './render.ts';
import { registerToolkit, type FieldElement } from './toolkit.ts';

interface VsCodeApi { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
registerToolkit();

// ---- state ---------------------------------------------------------------------------------
let snapshot = emptySnapshot();
let context: PanelContext = { workspaceFolders: [], home: '', terminals: {} };
let haveSnapshot = false;
const ui: UiState = sanitizeUiState(vscode.getState());
const saveUi = () => vscode.setState(ui);

// ---- requests to the host ------------------------------------------------------------------
let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
function post(m: WebviewToHost): void { vscode.postMessage(m); }
function request<M extends PanelMethod>(method: M, params: PanelParams<M>): Promise<PanelResult<M>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post({ kind: 'request', id, method, params } as WebviewToHost);
  });
}

// ---- DOM -----------------------------------------------------------------------------------
const app = document.getElementById('app')!;
app.innerHTML = renderShell();
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = {
  status: $('status'), notice: $('notice'), banner: $('banner'),
  peersCount: $('peers-count'), peersToolbar: $('peers-toolbar'), peersList: $('peers-list'),
  locksSection: $('sec-locks'), locksCount: $('locks-count'), locksList: $('locks-list'),
  messagesCount: $('messages-count'), filter: $<FieldElement>('filter'), streamHead: $('stream-head'),
  streamScroll: $('stream-scroll'), stream: $('stream'),
  replyChip: $('reply-chip'), to: $<FieldElement>('to'), body: $<FieldElement>('body'), send: $<FieldElement>('send'),
  sendError: $('send-error'), composer: $('composer'),
};
// The saved draft goes back into the text area once the toolkit has upgraded it.
void customElements.whenDefined('vscode-text-area').then(() => { if (!el.body.value) el.body.value = ui.draft.body; });

const painted = new Map<HTMLElement, string>();
/** Sets innerHTML when it changed, keeping keyboard focus on the element with the same data-key. */
function setHtml(target: HTMLElement, html: string): void {
  if (painted.get(target) === html) return;
  painted.set(target, html);
  const focusKey = focusedKey(target);
  target.innerHTML = html;
  if (focusKey) refocus(target, focusKey);
}
function focusedKey(within: HTMLElement): string | null {
  const a = document.activeElement;
  if (!a || !within.contains(a)) return null;
  return (a.closest('[data-key]') as HTMLElement | null)?.dataset.key ?? null;
}
function refocus(within: HTMLElement, key: string): void {
  const t = within.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
  if (t && document.activeElement !== t) t.focus();
}

const template = document.createElement('template');
let rowCache = new Map<string, { html: string; el: Element }>();
/** Reconciles the stream by key: unchanged rows stay in place (and keep focus), others are rebuilt. */
function patchStream(items: { key: string; html: string }[]): boolean {
  const focusKey = focusedKey(el.stream);
  const next = new Map<string, { html: string; el: Element }>();
  // Rows to (re)build are parsed together: one innerHTML for a burst, not one per row.
  const build: { key: string; html: string }[] = [];
  for (const it of items) {
    const entry = rowCache.get(it.key);
    if (entry && entry.html === it.html) next.set(it.key, entry);
    else build.push(it);
  }
  const added = build.some((it) => !rowCache.has(it.key));
  if (build.length) {
    template.innerHTML = build.map((it) => it.html).join('');
    const built = template.content.children;
    for (let i = 0; i < build.length; i++) next.set(build[i].key, { html: build[i].html, el: built[i] });
  }
  for (const [k, e] of rowCache) if (next.get(k) !== e) e.el.remove();
  let cursor = el.stream.firstElementChild;
  for (const it of items) {
    const e = next.get(it.key)!;
    if (e.el === cursor) cursor = cursor.nextElementSibling;
    else el.stream.insertBefore(e.el, cursor);
  }
  rowCache = next;
  if (focusKey) refocus(el.stream, focusKey);
  return added;
}

const optionsPainted = new Map<HTMLElement, string>();
const wantedValue = new Map<FieldElement, string>();
/** Fills a toolkit dropdown and selects `value`, also after the toolkit has taken in new options. */
function setOptions(dropdown: FieldElement, html: string, value: string): void {
  wantedValue.set(dropdown, value);
  if (optionsPainted.get(dropdown) !== html) {
    optionsPainted.set(dropdown, html);
    dropdown.innerHTML = html;
    // The toolkit sees new options on slotchange, after this task: select again then.
    requestAnimationFrame(() => selectValue(dropdown, wantedValue.get(dropdown) ?? ''));
  }
  selectValue(dropdown, value);
}
function selectValue(dropdown: FieldElement, value: string): void {
  if (dropdown.value === value) return;
  settingValue = true;
  try { dropdown.value = value; } finally { settingValue = false; }
}
let settingValue = false;
/** A dropdown change the human made (not the toolkit settling after new options). */
function userChange(dropdown: FieldElement): boolean {
  if (settingValue) return false;
  const root = dropdown.getRootNode() as Document;
  return root.activeElement === dropdown || dropdown.matches(':focus-within') || (dropdown as unknown as { open?: boolean }).open === true;
}

function setBadge(badge: HTMLElement, n: number, label: string): void {
  badge.hidden = n === 0;
  const text = String(n);
  if (badge.textContent !== text) badge.textContent = text;
  badge.setAttribute('aria-label', label);
}

// Whether the stream shows its newest row: then new rows keep it there. Tracked on scroll, so a
// paint never has to force a layout to find out.
let streamAtBottom = true;
el.streamScroll.addEventListener('scroll', () => {
  const sc = el.streamScroll;
  streamAtBottom = sc.scrollTop + sc.clientHeight >= sc.scrollHeight - 24;
}, { passive: true });

// ---- painting, once per frame ----------------------------------------------------------------
let scheduled = false;
let firstPaint = true;
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => { scheduled = false; paint(); });
}

/** Paint timings, for the e2e tests and for a look from the webview's developer tools. */
const paintStats = { paints: 0, lastMs: 0, maxMs: 0, recentMs: [] as number[] };
(window as unknown as { __peersPanel: typeof paintStats }).__peersPanel = paintStats;

function paint(): void {
  const t0 = performance.now();
  paintFrame();
  const ms = performance.now() - t0;
  paintStats.paints++;
  paintStats.lastMs = ms;
  paintStats.maxMs = Math.max(paintStats.maxMs, ms);
  paintStats.recentMs.push(Math.round(ms));
  if (paintStats.recentMs.length > 30) paintStats.recentMs.shift();
}

function paintFrame(): void {
  if (!haveSnapshot) {
    setHtml(el.status, '<div class="loading" role="status"><span class="codicon codicon-loading codicon-modifier-spin" aria-hidden="true"></span><span>Loading peers…</span></div>');
    return;
  }
  const v = buildView(snapshot, ui, context, Date.now());
  setHtml(el.status, renderStatus(v));
  setHtml(el.banner, renderBanner(v));

  setBadge(el.peersCount, v.counts.live, `${v.counts.live} live peers, ${v.counts.working} working`);
  setHtml(el.peersToolbar, renderPeersToolbar(v));
  setHtml(el.peersList, renderPeers(v));

  const hasLocks = v.locks.length + v.claims.length > 0;
  el.locksSection.hidden = !hasLocks;
  setBadge(el.locksCount, v.counts.locks + v.counts.claims, `${v.counts.locks} locks held, ${v.counts.claims} claims`);
  setHtml(el.locksList, hasLocks ? renderLocks(v) : '');

  setBadge(el.messagesCount, v.counts.unread, `${v.counts.unread} unread messages to you`);
  setOptions(el.filter, renderOptions(v.stream.filterOptions), ui.messagePeer ?? '');
  setHtml(el.streamHead, renderStreamHead(v));
  const added = patchStream(renderStream(v));
  if (firstPaint || (added && streamAtBottom)) el.streamScroll.scrollTop = el.streamScroll.scrollHeight;

  paintComposer(v);
  for (const id of ['peers', 'locks', 'messages'] as SectionId[]) {
    const folded = v.collapsed.includes(id);
    $(`${id}-body`).hidden = folded;
    const twisty = document.querySelector<HTMLElement>(`[data-action="section"][data-section="${id}"]`)!;
    twisty.setAttribute('aria-expanded', String(!folded));
    twisty.classList.toggle('folded', folded);
  }
  firstPaint = false;
}

function paintComposer(v: PanelView): void {
  setOptions(el.to, renderOptions(v.recipients, 'Choose who gets it'), v.draft.to);
  const r = v.draft.replyTo;
  el.replyChip.hidden = !r;
  setHtml(el.replyChip, r
    ? `<span class="codicon codicon-reply" aria-hidden="true"></span><span class="chip-text">Replying to <strong>${escapeText(r.fromName)}</strong>${r.snippet ? `: ${escapeText(r.snippet)}` : ''}</span>`
      + `<button type="button" class="icon-button" data-action="clearReply" data-key="clearReply" aria-label="Do not reply, send a new message" title="Send as a new message"><span class="codicon codicon-close" aria-hidden="true"></span></button>`
    : '');
}
function escapeText(s: string): string {
  const d = document.createElement('span');
  d.textContent = s;
  return d.innerHTML;
}

// ---- transient notices (action errors) -------------------------------------------------------
let noticeTimer: ReturnType<typeof setTimeout> | undefined;
function notify(text: string, kind: 'error' | 'info' = 'error'): void {
  clearTimeout(noticeTimer);
  el.notice.innerHTML = text
    ? `<div class="notice ${kind}"><span class="codicon codicon-${kind === 'error' ? 'error' : 'info'}" aria-hidden="true"></span><span>${escapeText(text)}</span>`
      + `<button type="button" class="icon-button" data-action="dismiss" aria-label="Dismiss"><span class="codicon codicon-close" aria-hidden="true"></span></button></div>`
    : '';
  if (text) noticeTimer = setTimeout(() => notify(''), 8000);
}
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ---- composer --------------------------------------------------------------------------------
let sending = false;
async function send(): Promise<void> {
  if (sending) return;
  const body = el.body.value;
  const to = ui.draft.to;
  if (!to) { showSendError('Choose who gets the message.'); el.to.focus(); return; }
  if (!body.trim()) { showSendError('Write a message first.'); el.body.focus(); return; }
  sending = true;
  el.send.disabled = true;
  showSendError('');
  try {
    if (to.startsWith('peers:')) {
      await request('messagePeers', { peerIds: to.slice('peers:'.length).split(',').filter(Boolean), body });
    } else {
      await request('send', ui.draft.replyTo != null ? { to, body, replyTo: ui.draft.replyTo } : { to, body });
    }
    el.body.value = '';
    ui.draft.body = '';
    ui.draft.replyTo = null;
    saveUi();
  } catch (e) {
    showSendError(errorText(e));
  } finally {
    sending = false;
    el.send.disabled = false;
    schedule();
  }
}
function showSendError(text: string): void {
  el.sendError.textContent = text;
}
function compose(to: string | undefined, body?: string, replyTo: number | null = null): void {
  if (to !== undefined) ui.draft.to = to;
  ui.draft.replyTo = replyTo;
  if (body && !el.body.value.trim()) { el.body.value = body; ui.draft.body = body; }
  showSendError('');
  saveUi();
  schedule();
  requestAnimationFrame(() => { el.body.focus(); el.composer.scrollIntoView({ block: 'nearest' }); });
}

el.to.addEventListener('change', () => {
  if (!userChange(el.to)) { selectValue(el.to, wantedValue.get(el.to) ?? ui.draft.to); return; }
  ui.draft.to = el.to.value;
  if (!ui.draft.to.length) ui.draft.replyTo = null;
  showSendError('');
  saveUi();
  schedule();
});
el.filter.addEventListener('change', () => {
  if (!userChange(el.filter)) { selectValue(el.filter, wantedValue.get(el.filter) ?? ''); return; }
  ui.messagePeer = el.filter.value || null;
  ui.older = 0;
  saveUi();
  firstPaint = true; // a new filter starts at the newest message
  schedule();
});
el.body.addEventListener('input', () => {
  ui.draft.body = el.body.value;
  if (el.sendError.textContent) showSendError('');
  saveUi();
});
el.body.addEventListener('keydown', (e: KeyboardEvent) => {
  if (e.key !== 'Enter' || e.isComposing || e.shiftKey || e.altKey) return;
  e.preventDefault();
  void send();
});
el.composer.addEventListener('submit', (e) => { e.preventDefault(); void send(); });

// ---- actions (one delegated listener; elements carry data-action) -----------------------------
async function act(target: HTMLElement): Promise<void> {
  const d = target.dataset;
  switch (d.action) {
    case 'send': return send();
    case 'openFile':
      try { await request('openFile', { path: d.path! }); } catch (e) { notify(errorText(e)); }
      return;
    case 'revealTerminal':
      try {
        if (!(await request('revealTerminal', { peerId: d.peer! }))) notify('That session does not run in a terminal of this window.', 'info');
      } catch (e) { notify(errorText(e)); }
      return;
    case 'openTerminal':
      try { await request('openTerminal', {}); } catch (e) { notify(errorText(e)); }
      return;
    case 'breakLock':
      try { await request('breakLock', { name: d.lock! }); } catch (e) { notify(errorText(e)); }
      return;
    case 'messagePeers':
      compose(`peers:${d.peers}`, `You are both working on ${d.path}. Please agree on who changes what before editing it further.`);
      return;
    case 'compose':
      compose(d.peer);
      return;
    case 'reply':
      compose(d.peer, undefined, Number(d.id));
      return;
    case 'clearReply':
      ui.draft.replyTo = null;
      saveUi();
      schedule();
      el.body.focus();
      return;
    case 'filterPeer':
      ui.messagePeer = ui.messagePeer === d.peer ? null : d.peer!;
      ui.older = 0;
      firstPaint = true;
      if (ui.collapsed.includes('messages')) ui.collapsed = ui.collapsed.filter((s) => s !== 'messages');
      saveUi();
      schedule();
      requestAnimationFrame(() => el.filter.scrollIntoView({ block: 'nearest' }));
      return;
    case 'scope':
      ui.scope = d.scope === 'machine' ? 'machine' : 'workspace';
      saveUi();
      schedule();
      return;
    case 'showGone':
      ui.showGone = !ui.showGone;
      saveUi();
      schedule();
      return;
    case 'toggleCard': {
      const id = d.peer!;
      ui.openCards = ui.openCards.includes(id) ? ui.openCards.filter((x) => x !== id) : [...ui.openCards, id];
      saveUi();
      schedule();
      return;
    }
    case 'fold': {
      const id = Number(d.id);
      ui.unfolded = ui.unfolded.includes(id) ? ui.unfolded.filter((x) => x !== id) : [...ui.unfolded, id].slice(-200);
      saveUi();
      schedule();
      return;
    }
    case 'older':
      ui.older += STREAM_WINDOW;
      saveUi();
      schedule();
      return;
    case 'jump': {
      const row = document.getElementById(`msg-${d.id}`);
      if (row) {
        row.scrollIntoView({ block: 'center' });
        row.classList.remove('flash');
        void row.offsetWidth;
        row.classList.add('flash');
        row.focus();
      }
      return;
    }
    case 'section': {
      const s = d.section as SectionId;
      ui.collapsed = ui.collapsed.includes(s) ? ui.collapsed.filter((x) => x !== s) : [...ui.collapsed, s];
      saveUi();
      schedule();
      return;
    }
    case 'dismiss':
      notify('');
      return;
  }
}

document.addEventListener('click', (e) => {
  const target = (e.target as HTMLElement).closest<HTMLElement>('[data-action]');
  if (!target || (target as Partial<FieldElement>).disabled) return;
  if (target.tagName === 'VSCODE-BUTTON' || target.tagName === 'BUTTON') e.preventDefault();
  void act(target);
});

// Arrow keys move between peer cards; Enter on a card messages the peer.
document.addEventListener('keydown', (e) => {
  const card = (e.target as HTMLElement).closest?.<HTMLElement>('article.card');
  if (!card || e.target !== card) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    const cards = [...document.querySelectorAll<HTMLElement>('article.card')];
    const i = cards.indexOf(card) + (e.key === 'ArrowDown' ? 1 : -1);
    if (cards[i]) { e.preventDefault(); cards[i].focus(); }
  } else if (e.key === 'Enter' && !card.classList.contains('status-gone')) {
    e.preventDefault();
    compose(card.dataset.peer);
  }
});

// ---- messages from the host ----------------------------------------------------------------------
window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  switch (m.kind) {
    case 'snapshot':
      snapshot = m.snapshot;
      context = m.context;
      haveSnapshot = true;
      schedule();
      return;
    case 'changes': {
      context = m.context;
      if (!haveSnapshot) return;
      if (applyChanges(snapshot, m.changes).needSnapshot) void request('resync', {}).catch(() => undefined);
      schedule();
      return;
    }
    case 'response': {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result); else p.reject(new Error(m.error));
      return;
    }
  }
});

// Relative times ("3m ago") age without any new data: repaint now and then (no host traffic).
setInterval(schedule, 30_000);
schedule();
post({ kind: 'ready', version: PANEL_PROTOCOL_VERSION });
