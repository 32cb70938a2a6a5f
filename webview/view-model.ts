// What the peer panel shows, computed from the host's picture, the panel's own UI state and the
// facts of the window. Pure data in, pure data out (no DOM, no clock of its own), so it is
// unit-tested without a browser and benchmarked on its own. Each part lives in webview/model/.
import type { DirectorySnapshot } from '../src/protocol/directory-model.ts';
import type { PanelContext } from '../src/protocol/panel.ts';
import { HUMAN_ID } from '../src/protocol/wire.ts';
import { claimRows, conflictBanners, liveConflicts, lockRows } from './model/coordination.ts';
import { composer } from './model/composer.ts';
import { conflictPathsByPeer, emptyState, peerGroups, peerLists } from './model/peers.ts';
import { statusLine } from './model/status.ts';
import { buildStream, filterOptions, groupMessages } from './model/stream.ts';
import type { UiState } from './model/ui-state.ts';
import type { PanelView } from './model/view-types.ts';

export function buildView(snapshot: DirectorySnapshot, ui: UiState, context: PanelContext, now: number): PanelView {
  const folders = context.workspaceFolders;
  const hasWorkspace = folders.length > 0;
  const peersById = new Map(snapshot.peers.map((p) => [p.id, p]));
  const conflicts = liveConflicts(snapshot.conflicts, peersById);
  const muted = new Set(context.muted);
  const inTerminal = new Set(context.inTerminal);

  // Unread messages to the human, per sender (a muted sender's do not count in the badge).
  const unreadFrom = new Map<string, number>();
  let unread = 0;
  for (const m of snapshot.messages) {
    if (m.toId === HUMAN_ID && m.state !== 'read') {
      unreadFrom.set(m.fromId, (unreadFrom.get(m.fromId) ?? 0) + 1);
      if (!muted.has(m.fromId)) unread++;
    }
  }

  const lists = peerLists(snapshot.peers, folders);
  const scope = hasWorkspace ? ui.scope : 'machine';
  const cardInput = { ui, context, now, conflictPaths: conflictPathsByPeer(conflicts), unreadFrom, inTerminal, muted };
  const byId = groupMessages(snapshot.messages);
  const stream = buildStream({ byId, peersById, ui, muted, now, filterOptions: filterOptions(lists.live, lists.gone) });
  const { recipients, draft } = composer({ ui, context, live: lists.live, peersById, byId, loaded: snapshot.connected });

  return {
    connected: snapshot.connected,
    status: statusLine(context.broker, snapshot.connected),
    counts: {
      live: lists.live.length,
      working: lists.live.filter((p) => p.status === 'working').length,
      idle: lists.live.filter((p) => p.status === 'idle').length,
      waiting: lists.live.filter((p) => p.status === 'waiting').length,
      gone: lists.gone.length,
      elsewhere: lists.elsewhere.length,
      messages: byId.size,
      unread,
      conflicts: conflicts.length,
      locks: snapshot.locks.filter((l) => l.holder).length,
      claims: snapshot.claims.length,
    },
    conflicts: conflictBanners(conflicts, folders, context.home, now),
    empty: emptyState(lists, scope, snapshot.connected, context.joining),
    hasWorkspace,
    scope,
    groups: peerGroups(lists, scope, cardInput),
    showGone: ui.showGone,
    locks: lockRows(snapshot, peersById, now),
    claims: claimRows(snapshot, peersById, folders, context.home, now),
    stream,
    recipients,
    draft,
    collapsed: ui.collapsed,
  };
}
