// The panel in the page: it mirrors the host's picture (snapshot + batched changes, through the
// protocol's one reducer), keeps the UI state, and paints at most once per animation frame. The
// deciding is in view-model.ts, the markup in render/, the DOM helpers in dom/.
import { applyChanges, createModel, type DirectoryModel } from '../src/protocol/directory-model.ts';
import type { HostToWebview, PanelContext, SavedDraft } from '../src/protocol/panel.ts';
import { snippet } from './model/format.ts';
import { sanitizeUiState, type SectionId, type UiState } from './model/ui-state.ts';
import type { PanelView } from './model/view-types.ts';
import { buildView } from './view-model.ts';
import { renderOptions } from './render/composer.ts';
import { renderLocks } from './render/locks.ts';
import { renderPeers, renderPeersToolbar } from './render/peers.ts';
import { renderShell } from './render/shell.ts';
import { renderStream, renderStreamHead } from './render/stream.ts';
import { renderBanner, renderStatus } from './render/top.ts';
import { StreamFollower } from './dom/follow.ts';
import { Notices } from './dom/notice.ts';
import { KeyedList, setCount, setHtml } from './dom/patch.ts';
import { ReadTracker } from './dom/read-tracker.ts';
import { RovingList } from './dom/roving.ts';
import { setSelect } from './dom/select.ts';
import { Composer } from './composer.ts';
import { panelElements, type PanelElements } from './elements.ts';
import type { HostChannel, VsCodeApi } from './host.ts';

const SECTIONS: SectionId[] = ['peers', 'locks', 'messages'];
/** Typing is saved to the host at most this often. */
const DRAFT_SAVE_MS = 400;

export const NO_CONTEXT: PanelContext = {
  workspaceFolders: [], home: '', inTerminal: [], joining: true, muted: [],
  broker: { role: 'starting', problem: null, port: 0 },
};

/** Paint timings, for the e2e tests and for a look from the webview's developer tools. */
export interface PaintStats { paints: number; lastMs: number; maxMs: number; recentMs: number[] }

export class Panel {
  model: DirectoryModel = createModel();
  context: PanelContext = NO_CONTEXT;
  haveSnapshot = false;
  readonly ui: UiState;
  readonly el: PanelElements;
  readonly notices: Notices;
  readonly follower: StreamFollower;
  readonly composer: Composer;
  /** The last view painted (actions read recipients and unread ids from it). */
  view: PanelView | null = null;
  readonly stats: PaintStats = { paints: 0, lastMs: 0, maxMs: 0, recentMs: [] };

  private readonly reads: ReadTracker;
  private readonly cards: RovingList;
  private readonly rows: RovingList;
  private readonly streamList: KeyedList;
  private scheduled = false;
  /** What the host has of the draft: recipient and reply, and the text. */
  private draftHead = '';
  private draftBody = '';
  private draftTimer: ReturnType<typeof setTimeout> | undefined;
  /** The next paint starts the stream at its newest row (first paint, a new filter or search). */
  private restartStream = true;

  constructor(private readonly vscode: VsCodeApi, readonly host: HostChannel, root: HTMLElement) {
    this.ui = sanitizeUiState(vscode.getState());
    root.innerHTML = renderShell();
    this.el = panelElements();
    this.notices = new Notices(this.el.notice, this.el.announce);
    this.follower = new StreamFollower(this.el.streamScroll, this.el.stream, this.el.newBelow);
    this.reads = new ReadTracker(this.el.streamScroll, (ids) => this.host.request('markRead', { ids }));
    this.streamList = new KeyedList(this.el.stream);
    this.composer = new Composer(this);
    this.cards = new RovingList(this.el.peersList, (card) => {
      if (!card.classList.contains('status-gone')) this.composer.compose(card.dataset.peer!, card.querySelector('.name')?.textContent ?? '');
    });
    this.rows = new RovingList(this.el.stream);
    this.el.search.value = this.ui.search;
  }

  /**
   * Saves the UI state; the draft also goes to the host, which keeps it across reloads: a new
   * recipient at once, typing at most every DRAFT_SAVE_MS.
   */
  saveUi(): void {
    this.vscode.setState(this.ui);
    if (!this.haveSnapshot) return;
    const d = this.ui.draft;
    const head = JSON.stringify([d.to, d.toLabel, d.replyTo]);
    if (head !== this.draftHead) { this.sendDraft(); return; }
    if (d.body === this.draftBody) return;
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.sendDraft(), DRAFT_SAVE_MS);
  }

  private sendDraft(): void {
    clearTimeout(this.draftTimer);
    const d = { ...this.ui.draft };
    this.draftHead = JSON.stringify([d.to, d.toLabel, d.replyTo]);
    this.draftBody = d.body;
    void this.host.request('saveDraft', d).catch(() => { this.draftHead = ''; });
  }

  /** Starts the stream again at its newest row on the next paint. */
  restartStreamAtBottom(): void {
    this.restartStream = true;
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.paint(); });
  }

  receive(m: HostToWebview): void {
    switch (m.kind) {
      case 'snapshot':
        this.model = createModel(m.snapshot);
        this.context = m.context;
        if (!this.haveSnapshot) this.adoptDraft(m.draft);
        this.haveSnapshot = true;
        this.schedule();
        return;
      case 'changes':
        this.context = m.context;
        if (!this.haveSnapshot) return;
        if (applyChanges(this.model, m.changes).needSnapshot) void this.host.request('resync', {}).catch(() => undefined);
        this.schedule();
        return;
      case 'response':
        this.host.settle(m.id, m.ok, m.ok ? m.result : m.error);
        return;
      case 'visible':
        this.reads.setHostVisible(m.visible);
        return;
      case 'focus':
        this.composer.focus();
        return;
    }
  }

  /** A webview that starts without a draft of its own (its state lost in a reload) takes the host's. */
  private adoptDraft(saved: SavedDraft | null): void {
    if (saved && !this.ui.draft.to && !this.ui.draft.body) {
      this.ui.draft = { ...saved };
      this.el.body.value = saved.body;
      this.vscode.setState(this.ui);
    }
    const d = this.ui.draft;
    this.draftHead = JSON.stringify([d.to, d.toLabel, d.replyTo]);
    this.draftBody = d.body;
  }

  private paint(): void {
    const t0 = performance.now();
    this.paintFrame();
    const ms = performance.now() - t0;
    const s = this.stats;
    s.paints++;
    s.lastMs = ms;
    s.maxMs = Math.max(s.maxMs, ms);
    s.recentMs.push(Math.round(ms));
    if (s.recentMs.length > 30) s.recentMs.shift();
  }

  private paintFrame(): void {
    const el = this.el;
    if (!this.haveSnapshot) {
      setHtml(el.status, '<div class="statusline tone-info" role="status"><p class="statusline-text"><span class="codicon codicon-loading codicon-modifier-spin" aria-hidden="true"></span><span>Loading peers…</span></p></div>');
      return;
    }
    const v = buildView(this.model.snapshot, this.ui, this.context, Date.now());
    this.view = v;
    setHtml(el.status, renderStatus(v));
    setHtml(el.banner, renderBanner(v));

    const c = v.counts;
    setCount(el.peersCount, c.live, `${c.live} live, ${c.working} working${c.waiting ? `, ${c.waiting} waiting for you` : ''}`);
    setHtml(el.peersToolbar, renderPeersToolbar(v));
    setHtml(el.peersList, renderPeers(v));
    this.cards.refresh('first');

    const hasLocks = v.locks.length + v.claims.length > 0;
    el.locksSection.hidden = !hasLocks;
    setCount(el.locksCount, c.locks + c.claims, `${c.locks} locks held, ${c.claims} claims`);
    setHtml(el.locksList, hasLocks ? renderLocks(v) : '');

    setCount(el.messagesCount, c.unread, `${c.unread} unread to you`);
    el.markAll.hidden = v.stream.unreadAll === 0;
    setSelect(el.filter, renderOptions(v.stream.filterOptions, this.ui.messagePeer ?? ''), this.ui.messagePeer ?? '');
    setHtml(el.streamHead, renderStreamHead(v));
    const added = this.streamList.patch(renderStream(v));
    this.rows.refresh('last');
    this.reads.watch(el.stream.querySelectorAll<HTMLElement>('[data-read]'));
    if (this.restartStream) {
      this.restartStream = false;
      this.follower.toBottom();
    } else if (added.length) {
      const rows = v.stream.rows.filter((r) => added.includes(r.key));
      this.follower.afterPaint(rows.length, rows.some((r) => r.human));
      this.announceArrivals(rows);
    }

    this.composer.paint(v);
    for (const id of SECTIONS) {
      const folded = v.collapsed.includes(id);
      el.sectionBody(id).hidden = folded;
      el.section(id).classList.toggle('folded', folded);
      const twisty = el.section(id).querySelector<HTMLElement>('.twisty')!;
      twisty.setAttribute('aria-expanded', String(!folded));
      twisty.classList.toggle('folded', folded);
    }
  }

  private announceArrivals(rows: PanelView['stream']['rows']): void {
    const others = rows.filter((r) => !r.human);
    if (!others.length) return;
    if (others.length > 2) { this.notices.announce(`${others.length} new messages`); return; }
    this.notices.announce(others.map((r) => (r.muted ? `New message from ${r.fromName} (muted)` : `${r.fromName} to ${r.toLabel}: ${snippet(r.body, 120)}`)).join('. '));
  }
}
