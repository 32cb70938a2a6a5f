// What the peer panel shows, computed from the host's picture, the panel's own UI state and the
// window's workspace folders. Pure data in, pure data out (no DOM, no clock of its own), so it is
// unit-tested without a browser and benchmarked on its own.
import type { DirectorySnapshot } from '../src/client/directory.ts';
import type { PanelContext } from '../src/protocol/panel.ts';
import type { Conflict, DeliveryState, Message, Peer, PeerStatus } from '../src/protocol/wire.ts';

export const HUMAN = 'human';
/** Rows rendered at first; "show older" adds as many again. */
export const STREAM_WINDOW = 100;
/** Files listed on a card before "show all". */
export const CARD_FILES = 5;
/** Longer messages are folded to a preview. */
export const FOLD_CHARS = 600;
export const FOLD_LINES = 8;

// ---- UI state (the only state the webview owns; saved with vscode.setState) ------------------

export type SectionId = 'peers' | 'locks' | 'messages';

export interface Draft {
  /** A peer id, 'machine', 'under:<folder>', 'peers:<id>,<id>' (several peers), or '' (none chosen). */
  to: string;
  body: string;
  replyTo: number | null;
}

export interface UiState {
  /** Which peers the cards show: those of this workspace, or every peer on the machine. */
  scope: 'workspace' | 'machine';
  showGone: boolean;
  /** Stream filter: a peer id (messages from or to it), 'human' (to or from you), or null (all). */
  messagePeer: string | null;
  /** Long messages the human unfolded. */
  unfolded: number[];
  /** Cards listing all their files. */
  openCards: string[];
  collapsed: SectionId[];
  /** Rows shown above the default window. */
  older: number;
  draft: Draft;
}

export function defaultUiState(): UiState {
  return {
    scope: 'workspace', showGone: false, messagePeer: null, unfolded: [], openCards: [], collapsed: [], older: 0,
    draft: { to: '', body: '', replyTo: null },
  };
}

/** A UI state read back from vscode.getState (any shape, any older version) made safe. */
export function sanitizeUiState(raw: unknown): UiState {
  const d = defaultUiState();
  if (!raw || typeof raw !== 'object') return d;
  const r = raw as Partial<Record<keyof UiState, unknown>>;
  const draft = (r.draft && typeof r.draft === 'object' ? r.draft : {}) as Partial<Record<keyof Draft, unknown>>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    scope: r.scope === 'machine' ? 'machine' : 'workspace',
    showGone: r.showGone === true,
    messagePeer: typeof r.messagePeer === 'string' ? r.messagePeer : null,
    unfolded: Array.isArray(r.unfolded) ? r.unfolded.filter((x): x is number => Number.isInteger(x)).slice(-200) : [],
    openCards: strings(r.openCards).slice(-50),
    collapsed: strings(r.collapsed).filter((x): x is SectionId => x === 'peers' || x === 'locks' || x === 'messages'),
    older: Number.isInteger(r.older) && (r.older as number) > 0 ? Math.min(r.older as number, 10_000) : 0,
    draft: {
      to: typeof draft.to === 'string' ? draft.to : '',
      body: typeof draft.body === 'string' ? draft.body : '',
      replyTo: Number.isInteger(draft.replyTo) ? (draft.replyTo as number) : null,
    },
  };
}

// ---- what is shown -------------------------------------------------------------------------

export interface FileRow { path: string; label: string; ago: string; tool: string; conflict: boolean }

export interface PeerCard {
  id: string;
  name: string;
  status: PeerStatus;
  /** "working · now", "idle · 4m ago", "gone · last seen 2h ago" */
  statusLabel: string;
  lastSeen: string;
  cwd: string;
  cwdLabel: string;
  repo: string | null;
  branch: string | null;
  /** The agent's summary, else the first line of its last prompt. */
  task: string | null;
  taskIsSummary: boolean;
  files: FileRow[];
  moreFiles: number;
  open: boolean;
  terminal: string | null;
  inWorkspace: boolean;
  conflicts: number;
  /** Messages from this peer to you that you have not read. */
  unread: number;
}

export interface PeerGroup { id: 'workspace' | 'elsewhere' | 'all' | 'gone'; label: string; cards: PeerCard[] }

export interface ConflictBanner {
  path: string;
  label: string;
  peers: { id: string; name: string; how: 'edit' | 'claim'; ago: string }[];
  text: string;
}

export interface LockRow {
  name: string;
  holder: { id: string; name: string; reason: string | null; age: string; expires: string; gone: boolean } | null;
  waiters: string[];
}

export interface ClaimRow { peerId: string; peerName: string; pattern: string; label: string; reason: string | null; expires: string; gone: boolean }

export interface Recipient { id: string; name: string; state: DeliveryState }

export interface MessageRow {
  /** Stable key for the DOM (a message id: one row per message, whatever its recipients). */
  key: string;
  id: number;
  fromId: string;
  fromName: string;
  /** Written by the human at the keyboard. */
  human: boolean;
  /** Addressed to the human. */
  toHuman: boolean;
  toLabel: string;
  broadcast: boolean;
  recipients: Recipient[];
  /** The least advanced delivery of all recipients. */
  state: DeliveryState;
  stateLabel: string;
  sentAt: string;
  time: string;
  ago: string;
  body: string;
  foldable: boolean;
  folded: boolean;
  replyTo: { id: number; fromName: string; snippet: string; shown: boolean } | null;
  replies: number;
  /** The human can answer the sender (a peer that still exists). */
  canReply: boolean;
  unread: boolean;
}

export interface Option { value: string; label: string; detail?: string; disabled?: boolean }

export interface PanelView {
  connected: boolean;
  counts: {
    live: number; working: number; idle: number; gone: number; elsewhere: number;
    messages: number; unread: number; conflicts: number; locks: number; claims: number;
  };
  conflicts: ConflictBanner[];
  /** No live peer in scope: the teaching empty state (`elsewhere` live peers exist outside the workspace). */
  empty: { elsewhere: number } | null;
  hasWorkspace: boolean;
  scope: 'workspace' | 'machine';
  groups: PeerGroup[];
  showGone: boolean;
  locks: LockRow[];
  claims: ClaimRow[];
  stream: { rows: MessageRow[]; total: number; olderHidden: number; filter: Option | null; filterOptions: Option[] };
  recipients: Option[];
  draft: { to: string; valid: boolean; replyTo: { id: number; fromName: string; snippet: string } | null };
  collapsed: SectionId[];
}

// ---- paths and times -----------------------------------------------------------------------

const norm = (p: string) => {
  let s = p.replace(/\\/g, '/');
  if (s.length > 1) s = s.replace(/\/+$/, '');
  return /^[a-z]:\//i.test(s) ? s.toLowerCase() : s;
};
const base = (p: string) => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || p;

/** `child` relative to `parent` ('' when equal), or null when outside it. */
export function relativeTo(parent: string, child: string): string | null {
  const a = norm(parent), b = norm(child);
  if (a === b) return '';
  const prefix = a.endsWith('/') ? a : a + '/';
  if (!b.startsWith(prefix)) return null;
  return child.replace(/\\/g, '/').slice(prefix.length).replace(/\/+$/, '');
}

/** A short, readable form of a path: relative to a workspace folder, else `~/…`, else as is. */
export function displayPath(path: string, folders: readonly string[], home: string): string {
  for (const f of folders) {
    const rel = relativeTo(f, path);
    if (rel !== null) {
      const head = folders.length > 1 || rel === '' ? base(f) : '';
      return [head, rel].filter(Boolean).join('/');
    }
  }
  if (home) {
    const rel = relativeTo(home, path);
    if (rel !== null) return rel ? `~/${rel}` : '~';
  }
  return path.replace(/\\/g, '/');
}

export function inWorkspace(cwd: string, folders: readonly string[]): boolean {
  // Inside a folder, or working on a parent of one (the repo root of a sub-folder workspace).
  return folders.some((f) => relativeTo(f, cwd) !== null || relativeTo(cwd, f) !== null);
}

/** "now", "42s ago" is too fussy: "now", "3m ago", "2h ago", "4d ago". */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** "in 4m", "in 2h", "expired". */
export function until(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.round((t - now) / 1000);
  if (s <= 0) return 'expired';
  if (s < 60) return 'in <1m';
  if (s < 3600) return `in ${Math.round(s / 60)}m`;
  if (s < 86_400) return `in ${Math.round(s / 3600)}h`;
  return `in ${Math.round(s / 86_400)}d`;
}

function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function snippet(body: string, max = 80): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The folded preview of a long message, or null when it is short enough to show whole. */
export function foldPreview(body: string): string | null {
  const lines = body.split('\n');
  if (body.length <= FOLD_CHARS && lines.length <= FOLD_LINES) return null;
  let out = lines.slice(0, FOLD_LINES).join('\n');
  if (out.length > FOLD_CHARS) out = out.slice(0, FOLD_CHARS);
  return `${out.trimEnd()}…`;
}

const STATE_RANK: Record<DeliveryState, number> = { queued: 0, delivered: 1, read: 2 };
const STATUS_RANK: Record<PeerStatus, number> = { waiting: 0, working: 1, idle: 2, gone: 3 };

// ---- the view ------------------------------------------------------------------------------

/** Live peers that really touch the same file (the broker only reports live ones; re-checked here). */
function liveConflicts(conflicts: readonly Conflict[], peers: ReadonlyMap<string, Peer>): Conflict[] {
  return conflicts
    .map((c) => ({ ...c, peers: c.peers.filter((p) => peers.get(p.id)?.status !== 'gone') }))
    .filter((c) => new Set(c.peers.map((p) => p.id)).size >= 2);
}

function groupMessages(messages: readonly Message[]): Map<number, Message[]> {
  const byId = new Map<number, Message[]>();
  for (const m of messages) {
    const list = byId.get(m.id);
    if (list) list.push(m); else byId.set(m.id, [m]);
  }
  return byId;
}

function scopeLabel(m: Message): string {
  switch (m.broadcast) {
    case 'machine': return 'everyone';
    case 'repo': return m.fromRepo ? `everyone in ${base(m.fromRepo)}` : 'everyone in the repo';
    case 'directory': return m.fromCwd ? `everyone in ${base(m.fromCwd)}` : 'everyone in a folder';
    default: return '';
  }
}

export function buildView(snapshot: DirectorySnapshot, ui: UiState, context: PanelContext, now: number): PanelView {
  const folders = context.workspaceFolders;
  const hasWorkspace = folders.length > 0;
  const peersById = new Map(snapshot.peers.map((p) => [p.id, p]));
  const conflicts = liveConflicts(snapshot.conflicts, peersById);

  // Which files of which peer are in a conflict.
  const conflictPaths = new Map<string, Set<string>>();
  for (const c of conflicts) {
    for (const p of c.peers) {
      let set = conflictPaths.get(p.id);
      if (!set) conflictPaths.set(p.id, (set = new Set()));
      set.add(norm(c.path));
    }
  }

  // Unread messages to the human, per sender.
  const unreadFrom = new Map<string, number>();
  let unread = 0;
  for (const m of snapshot.messages) {
    if (m.toId === HUMAN && m.state !== 'read') {
      unread++;
      unreadFrom.set(m.fromId, (unreadFrom.get(m.fromId) ?? 0) + 1);
    }
  }

  const card = (p: Peer): PeerCard => {
    const mine = conflictPaths.get(p.id);
    const files = p.files.slice().sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    const open = ui.openCards.includes(p.id);
    const shown = open ? files : files.slice(0, CARD_FILES);
    const seen = ago(p.lastSeen, now);
    const task = p.summary?.trim() || p.task?.trim() || null;
    return {
      id: p.id,
      name: p.name,
      status: p.status,
      statusLabel: p.status === 'gone' ? `gone · last seen ${seen}` : `${p.status} · ${seen}`,
      lastSeen: p.lastSeen,
      cwd: p.cwd,
      cwdLabel: displayPath(p.cwd, folders, context.home),
      // The repo's name only when it says something the folder line does not.
      repo: p.gitRoot && !folders.some((f) => norm(f) === norm(p.gitRoot!)) ? base(p.gitRoot) : null,
      branch: p.branch,
      task,
      taskIsSummary: !!p.summary?.trim(),
      files: shown.map((f) => ({
        path: f.path, label: displayPath(f.path, folders, context.home), ago: ago(f.at, now), tool: f.tool,
        conflict: !!mine?.has(norm(f.path)),
      })),
      moreFiles: files.length - shown.length,
      open,
      terminal: context.terminals[p.id] ?? null,
      inWorkspace: hasWorkspace && inWorkspace(p.cwd, folders),
      conflicts: mine?.size ?? 0,
      unread: unreadFrom.get(p.id) ?? 0,
    };
  };

  const order = (a: Peer, b: Peer) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.name.localeCompare(b.name);
  const live = snapshot.peers.filter((p) => p.status !== 'gone').sort(order);
  const gone = snapshot.peers.filter((p) => p.status === 'gone').sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen));
  const here = hasWorkspace ? live.filter((p) => inWorkspace(p.cwd, folders)) : live;
  const elsewhere = hasWorkspace ? live.filter((p) => !inWorkspace(p.cwd, folders)) : [];
  const scope = hasWorkspace ? ui.scope : 'machine';

  const groups: PeerGroup[] = [];
  if (!hasWorkspace) {
    if (live.length) groups.push({ id: 'all', label: 'On this machine', cards: live.map(card) });
  } else {
    if (here.length) groups.push({ id: 'workspace', label: 'This workspace', cards: here.map(card) });
    if (scope === 'machine' && elsewhere.length) groups.push({ id: 'elsewhere', label: 'Elsewhere on this machine', cards: elsewhere.map(card) });
  }
  if (ui.showGone && gone.length) {
    const goneInScope = scope === 'machine' ? gone : gone.filter((p) => inWorkspace(p.cwd, folders));
    if (goneInScope.length) groups.push({ id: 'gone', label: 'Gone', cards: goneInScope.slice(0, 50).map(card) });
  }
  const inScope = scope === 'machine' ? live.length : here.length;

  // ---- messages
  const byId = groupMessages(snapshot.messages);
  const replies = new Map<number, number>();
  for (const [, list] of byId) {
    const r = list[0].replyTo;
    if (r != null) replies.set(r, (replies.get(r) ?? 0) + 1);
  }
  const filterId = ui.messagePeer;
  const matches = (list: Message[]) => {
    if (!filterId) return true;
    const m = list[0];
    if (filterId === HUMAN) return m.fromKind === 'human' || list.some((x) => x.toId === HUMAN);
    return m.fromId === filterId || list.some((x) => x.toId === filterId);
  };
  const all: Message[][] = [];
  for (const [, list] of byId) if (matches(list)) all.push(list);
  const windowSize = STREAM_WINDOW + ui.older;
  const visible = all.length > windowSize ? all.slice(all.length - windowSize) : all;
  const visibleIds = new Set(visible.map((l) => l[0].id));
  const unfolded = new Set(ui.unfolded);

  const rows: MessageRow[] = visible.map((list) => {
    const m = list[0];
    const recipients = list.map((x) => ({ id: x.toId, name: x.toId === HUMAN ? 'you' : x.toName, state: x.state }));
    const least = recipients.reduce<DeliveryState>((s, r) => (STATE_RANK[r.state] < STATE_RANK[s] ? r.state : s), 'read');
    const readCount = recipients.filter((r) => r.state === 'read').length;
    const human = m.fromKind === 'human';
    const toHuman = list.some((x) => x.toId === HUMAN);
    const toLabel = m.broadcast
      ? `${scopeLabel(m)} (${recipients.length})`
      : recipients.map((r) => r.name).join(', ');
    const preview = foldPreview(m.body);
    const folded = preview !== null && !unfolded.has(m.id);
    const parent = m.replyTo != null ? byId.get(m.replyTo)?.[0] : undefined;
    return {
      key: String(m.id),
      id: m.id,
      fromId: m.fromId,
      fromName: human ? 'you' : m.fromName,
      human,
      toHuman,
      toLabel,
      broadcast: !!m.broadcast,
      recipients,
      state: least,
      stateLabel: recipients.length > 1 && least !== 'read' ? `${readCount}/${recipients.length} read` : least,
      sentAt: m.sentAt,
      time: clock(m.sentAt),
      ago: ago(m.sentAt, now),
      body: folded ? preview! : m.body,
      foldable: preview !== null,
      folded,
      replyTo: m.replyTo == null ? null : {
        id: m.replyTo,
        fromName: parent ? (parent.fromKind === 'human' ? 'you' : parent.fromName) : `#${m.replyTo}`,
        snippet: parent ? snippet(parent.body, 60) : '(older message)',
        shown: visibleIds.has(m.replyTo),
      },
      replies: replies.get(m.id) ?? 0,
      canReply: !human && m.fromKind === 'peer' && peersById.has(m.fromId),
      unread: toHuman && list.some((x) => x.toId === HUMAN && x.state !== 'read'),
    };
  });

  // ---- the stream filter's choices: you, then every peer that ever spoke or was spoken to.
  const filterOptions: Option[] = [{ value: '', label: 'All messages' }, { value: HUMAN, label: 'To or from you' }];
  const talkers = new Map<string, string>();
  for (const p of snapshot.peers) talkers.set(p.id, p.name);
  for (const p of [...live, ...gone.slice(0, 20)]) filterOptions.push({ value: p.id, label: p.status === 'gone' ? `${p.name} (gone)` : p.name });
  const filter = filterId ? filterOptions.find((o) => o.value === filterId) ?? { value: filterId, label: talkers.get(filterId) ?? filterId } : null;

  // ---- recipients
  const recipients: Option[] = [];
  const draftTo = ui.draft.to;
  if (draftTo.startsWith('peers:')) {
    const ids = draftTo.slice('peers:'.length).split(',').filter(Boolean);
    recipients.push({ value: draftTo, label: ids.map((id) => peersById.get(id)?.name ?? id).join(' + '), detail: 'each of them' });
  }
  for (const p of live.slice().sort((a, b) => a.name.localeCompare(b.name))) {
    const where = [p.gitRoot ? base(p.gitRoot) : displayPath(p.cwd, folders, context.home), p.branch].filter(Boolean).join(' · ');
    recipients.push({ value: p.id, label: p.name, detail: where });
  }
  recipients.push({ value: 'machine', label: `Everyone on this machine (${live.length})`, disabled: live.length === 0 });
  const scopes = new Map<string, string>();
  for (const f of folders) scopes.set(f, `Everyone in ${base(f)}`);
  for (const p of live) if (p.gitRoot && ![...scopes.keys()].some((k) => norm(k) === norm(p.gitRoot!))) scopes.set(p.gitRoot, `Everyone in repo ${base(p.gitRoot)}`);
  for (const [dir, label] of scopes) {
    const n = live.filter((p) => p.cwd === dir || relativeTo(dir, p.cwd) !== null).length;
    recipients.push({ value: `under:${dir}`, label: `${label} (${n})`, disabled: n === 0 });
  }
  const valid = !!draftTo && recipients.some((o) => o.value === draftTo && !o.disabled);
  if (draftTo && !recipients.some((o) => o.value === draftTo)) {
    const p = peersById.get(draftTo);
    recipients.push({ value: draftTo, label: p ? `${p.name} (gone)` : draftTo, disabled: true });
  }
  const replyParent = ui.draft.replyTo != null ? byId.get(ui.draft.replyTo)?.[0] : undefined;

  const lockRows: LockRow[] = snapshot.locks.map((l) => ({
    name: l.name,
    holder: l.holder && {
      id: l.holder.id, name: l.holder.name, reason: l.holder.reason,
      age: ago(l.holder.acquiredAt, now), expires: until(l.holder.expiresAt, now),
      gone: (peersById.get(l.holder.id)?.status ?? 'gone') === 'gone',
    },
    waiters: l.waiters.map((w) => w.name),
  }));
  const claimRows: ClaimRow[] = snapshot.claims.map((c) => ({
    peerId: c.peerId, peerName: c.peerName, pattern: c.pattern, label: displayPath(c.pattern, folders, context.home),
    reason: c.reason, expires: until(c.expiresAt, now), gone: (peersById.get(c.peerId)?.status ?? 'gone') === 'gone',
  }));

  return {
    connected: snapshot.connected,
    counts: {
      live: live.length,
      working: live.filter((p) => p.status === 'working').length,
      idle: live.filter((p) => p.status === 'idle').length,
      gone: gone.length,
      elsewhere: elsewhere.length,
      messages: byId.size,
      unread,
      conflicts: conflicts.length,
      locks: snapshot.locks.filter((l) => l.holder).length,
      claims: snapshot.claims.length,
    },
    conflicts: conflicts.map((c) => {
      const label = displayPath(c.path, folders, context.home);
      const names = c.peers.map((p) => `${p.name} (${p.how === 'claim' ? 'claimed' : 'edited'})`);
      return {
        path: c.path, label,
        peers: c.peers.map((p) => ({ id: p.id, name: p.name, how: p.how, ago: ago(p.at, now) })),
        text: `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are both on ${label}`,
      };
    }),
    empty: inScope === 0 ? { elsewhere: scope === 'workspace' ? elsewhere.length : 0 } : null,
    hasWorkspace,
    scope,
    groups,
    showGone: ui.showGone,
    locks: lockRows,
    claims: claimRows,
    stream: { rows, total: all.length, olderHidden: all.length - visible.length, filter, filterOptions },
    recipients,
    draft: {
      to: draftTo,
      valid,
      replyTo: ui.draft.replyTo == null ? null : {
        id: ui.draft.replyTo,
        fromName: replyParent ? (replyParent.fromKind === 'human' ? 'you' : replyParent.fromName) : `#${ui.draft.replyTo}`,
        snippet: replyParent ? snippet(replyParent.body, 60) : '',
      },
    },
    collapsed: ui.collapsed,
  };
}
