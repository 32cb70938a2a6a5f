// The peer cards: which peers are shown (workspace or machine, gone on request), in a stable order,
// and what each card says.
import type { PanelContext } from '../../src/protocol/panel.ts';
import type { Conflict, Peer } from '../../src/protocol/wire.ts';
import { ago, base, displayPath, inWorkspace, norm, taskText } from './format.ts';
import type { UiState } from './ui-state.ts';
import type { EmptyState, PeerCard, PeerGroup } from './view-types.ts';

/** Files listed on a card before "show all". */
export const CARD_FILES = 5;

/**
 * Cards keep their place: ordered by when the session joined, never by status, so a card does not
 * jump each time its session starts or stops working.
 */
export function byRegistration(a: Peer, b: Peer): number {
  return Date.parse(a.registeredAt) - Date.parse(b.registeredAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function statusLabel(p: Peer, seen: string): string {
  switch (p.status) {
    case 'gone': return `gone · last seen ${seen}`;
    case 'waiting': return `waiting for you · ${seen}`;
    default: return `${p.status} · ${seen}`;
  }
}

export interface CardInput {
  ui: UiState;
  context: PanelContext;
  now: number;
  /** Peer id → normalised paths of its files in a conflict. */
  conflictPaths: ReadonlyMap<string, ReadonlySet<string>>;
  /** Peer id → unread messages from it to the human. */
  unreadFrom: ReadonlyMap<string, number>;
  inTerminal: ReadonlySet<string>;
  muted: ReadonlySet<string>;
}

export function card(p: Peer, i: CardInput): PeerCard {
  const folders = i.context.workspaceFolders;
  const mine = i.conflictPaths.get(p.id);
  const files = p.files.slice().sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const open = i.ui.openCards.includes(p.id);
  const shown = open ? files : files.slice(0, CARD_FILES);
  const task = taskText(p.summary, p.task);
  const inTerminal = i.inTerminal.has(p.id);
  return {
    id: p.id,
    name: p.name,
    status: p.status,
    kind: p.kind,
    statusLabel: statusLabel(p, ago(p.lastSeen, i.now)),
    lastSeen: p.lastSeen,
    cwd: p.cwd,
    cwdLabel: displayPath(p.cwd, folders, i.context.home),
    // The repo's name only when it says something the folder line does not.
    repo: p.gitRoot && !folders.some((f) => norm(f) === norm(p.gitRoot!)) ? base(p.gitRoot) : null,
    branch: p.branch,
    host: p.host,
    task: task?.text ?? null,
    taskIsSummary: task?.isSummary ?? false,
    files: shown.map((f) => ({
      path: f.path, label: displayPath(f.path, folders, i.context.home), ago: ago(f.at, i.now), tool: f.tool,
      conflict: !!mine?.has(norm(f.path)),
    })),
    moreFiles: files.length - shown.length,
    open,
    inTerminal,
    canStop: p.status !== 'gone' && p.host === null && !inTerminal,
    // A path on another host is not a folder of this workspace, whatever it is called.
    inWorkspace: p.host === null && folders.length > 0 && inWorkspace(p.cwd, folders),
    conflicts: mine?.size ?? 0,
    unread: i.unreadFrom.get(p.id) ?? 0,
    muted: i.muted.has(p.id),
  };
}

/** Which of this peer's files are in a conflict, by peer. */
export function conflictPathsByPeer(conflicts: readonly Conflict[]): Map<string, Set<string>> {
  const byPeer = new Map<string, Set<string>>();
  for (const c of conflicts) {
    for (const p of c.peers) {
      let set = byPeer.get(p.id);
      if (!set) byPeer.set(p.id, (set = new Set()));
      set.add(norm(c.path));
    }
  }
  return byPeer;
}

export interface PeerLists {
  /** Live peers, in card order. */
  live: Peer[];
  /** Gone peers, most recently seen first. */
  gone: Peer[];
  here: Peer[];
  elsewhere: Peer[];
  /** Live peers of other hosts of a federation: their folders are not this machine's. */
  remote: Peer[];
}

export function peerLists(peers: readonly Peer[], folders: readonly string[]): PeerLists {
  const live = peers.filter((p) => p.status !== 'gone').sort(byRegistration);
  const gone = peers.filter((p) => p.status === 'gone').sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen));
  const hasWorkspace = folders.length > 0;
  const local = live.filter((p) => p.host === null);
  return {
    live, gone,
    here: hasWorkspace ? local.filter((p) => inWorkspace(p.cwd, folders)) : local,
    elsewhere: hasWorkspace ? local.filter((p) => !inWorkspace(p.cwd, folders)) : [],
    remote: live.filter((p) => p.host !== null),
  };
}

export function peerGroups(lists: PeerLists, scope: 'workspace' | 'machine', i: CardInput): PeerGroup[] {
  const folders = i.context.workspaceFolders;
  const make = (p: Peer) => card(p, i);
  const groups: PeerGroup[] = [];
  if (!folders.length) {
    if (lists.here.length) groups.push({ id: 'all', label: 'On this machine', cards: lists.here.map(make) });
  } else {
    if (lists.here.length) groups.push({ id: 'workspace', label: 'This workspace', cards: lists.here.map(make) });
    if (scope === 'machine' && lists.elsewhere.length) groups.push({ id: 'elsewhere', label: 'Elsewhere on this machine', cards: lists.elsewhere.map(make) });
  }
  if (lists.remote.length) groups.push({ id: 'remote', label: 'On other hosts', cards: lists.remote.map(make) });
  if (i.ui.showGone && lists.gone.length) {
    const goneInScope = scope === 'machine' ? lists.gone : lists.gone.filter((p) => inWorkspace(p.cwd, folders));
    if (goneInScope.length) groups.push({ id: 'gone', label: 'Gone', cards: goneInScope.slice(0, 50).map(make) });
  }
  return groups;
}

/** The teaching empty state, only while connected (a blocked or lost broker says so instead). */
export function emptyState(lists: PeerLists, scope: 'workspace' | 'machine', connected: boolean, joining: boolean): EmptyState | null {
  if (!connected) return null;
  const inScope = scope === 'machine' ? lists.live.length : lists.here.length;
  if (inScope > 0) return null;
  return { elsewhere: scope === 'workspace' ? lists.elsewhere.length : 0, joining };
}
