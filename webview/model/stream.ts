// The message stream: one row per message (a broadcast's recipients folded into it), filtered by
// peer and search, windowed to the newest rows, with threads, folds and muted senders.
import { HUMAN_ID, type DeliveryState, type Message, type Peer } from '../../src/protocol/wire.ts';
import { ago, base, clock, foldPreview, snippet } from './format.ts';
import type { UiState } from './ui-state.ts';
import type { MessageRow, Option, Stream, ThreadReply } from './view-types.ts';

/** Rows rendered at first; "show older" adds as many again. */
export const STREAM_WINDOW = 100;

const STATE_RANK: Record<DeliveryState, number> = { queued: 0, delivered: 1, read: 2 };

/** Message rows grouped by id (a broadcast has one per recipient), in id order. */
export function groupMessages(messages: readonly Message[]): Map<number, Message[]> {
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

// A sender on another host of a federation is named with it; a human there is not you.
const senderName = (m: Message) => (m.fromHost
  ? `${m.fromKind === 'human' ? 'human' : m.fromName}@${m.fromHost}`
  : m.fromKind === 'human' ? 'you' : m.fromName);
const recipientName = (m: Message) => (m.toId === HUMAN_ID ? 'you' : m.toName);

export function toLabel(list: readonly Message[]): string {
  const m = list[0];
  return m.broadcast ? `${scopeLabel(m)} (${list.length})` : list.map(recipientName).join(', ');
}

export function isUnreadToHuman(list: readonly Message[]): boolean {
  return list.some((x) => x.toId === HUMAN_ID && x.state !== 'read');
}

export interface StreamInput {
  byId: ReadonlyMap<number, Message[]>;
  peersById: ReadonlyMap<string, Peer>;
  ui: UiState;
  muted: ReadonlySet<string>;
  now: number;
  filterOptions: Option[];
}

export function buildStream(i: StreamInput): Stream {
  const { byId, ui, now } = i;
  const replies = new Map<number, number[]>();
  for (const [id, list] of byId) {
    const r = list[0].replyTo;
    if (r != null) {
      const l = replies.get(r);
      if (l) l.push(id); else replies.set(r, [id]);
    }
  }
  const filterId = ui.messagePeer;
  const byPeer = (list: Message[]) => {
    if (!filterId) return true;
    const m = list[0];
    if (filterId === HUMAN_ID) return m.fromKind === 'human' || list.some((x) => x.toId === HUMAN_ID);
    return m.fromId === filterId || list.some((x) => x.toId === filterId);
  };
  const query = ui.search.trim();
  const needle = query.toLowerCase();
  const bySearch = (list: Message[]) => !needle
    || list[0].body.toLowerCase().includes(needle)
    || senderName(list[0]).toLowerCase().includes(needle)
    || toLabel(list).toLowerCase().includes(needle);

  const all: Message[][] = [];
  let unreadAll = 0;
  for (const [, list] of byId) {
    if (isUnreadToHuman(list)) unreadAll++;
    if (byPeer(list) && bySearch(list)) all.push(list);
  }
  const windowSize = STREAM_WINDOW + ui.older;
  const visible = all.length > windowSize ? all.slice(all.length - windowSize) : all;
  const visibleIds = new Set(visible.map((l) => l[0].id));
  const unfolded = new Set(ui.unfolded);
  const revealed = new Set(ui.revealed);
  const threads = new Set(ui.threads);

  const rows: MessageRow[] = visible.map((list) => {
    const m = list[0];
    const recipients = list.map((x) => ({ id: x.toId, name: recipientName(x), state: x.state }));
    const least = recipients.reduce<DeliveryState>((s, r) => (STATE_RANK[r.state] < STATE_RANK[s] ? r.state : s), 'read');
    const readCount = recipients.filter((r) => r.state === 'read').length;
    const human = m.fromKind === 'human';
    // A muted sender's rows fold to their head line, unless the human looks for them on purpose.
    const muted = !human && i.muted.has(m.fromId) && !revealed.has(m.id) && filterId !== m.fromId && !needle;
    const preview = foldPreview(m.body);
    const folded = preview !== null && !unfolded.has(m.id) && !(needle && m.body.toLowerCase().includes(needle));
    const parent = m.replyTo != null ? byId.get(m.replyTo)?.[0] : undefined;
    const replyIds = replies.get(m.id) ?? [];
    const thread: ThreadReply[] | null = threads.has(m.id) && replyIds.length
      ? replyIds.map((id) => {
        const r = byId.get(id)![0];
        return { id, fromName: senderName(r), time: clock(r.sentAt), snippet: snippet(r.body, 140), shown: visibleIds.has(id) };
      })
      : null;
    const toHuman = list.some((x) => x.toId === HUMAN_ID);
    return {
      key: String(m.id),
      id: m.id,
      fromId: m.fromId,
      fromName: senderName(m),
      human,
      toHuman,
      toLabel: toLabel(list),
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
      muted,
      replyTo: m.replyTo == null ? null : {
        id: m.replyTo,
        fromName: parent ? senderName(parent) : `#${m.replyTo}`,
        snippet: parent ? snippet(parent.body, 60) : '(older message)',
        shown: visibleIds.has(m.replyTo),
      },
      replies: replyIds.length,
      thread,
      canReply: !human && m.fromKind === 'peer' && i.peersById.has(m.fromId),
      unread: toHuman && isUnreadToHuman(list),
    };
  });

  const filter = filterId
    ? i.filterOptions.find((o) => o.value === filterId) ?? { value: filterId, label: i.peersById.get(filterId)?.name ?? filterId }
    : null;
  return {
    rows, total: all.length, olderHidden: all.length - visible.length, filter, filterOptions: i.filterOptions, query,
    // What the human can see of a row: a muted row shows no body, so it is not read by being shown.
    unreadShown: rows.filter((r) => r.unread && !r.muted).map((r) => r.id),
    unreadAll,
  };
}

/** The stream filter's choices: everything, you, then every live peer and the most recent gone ones. */
export function filterOptions(live: readonly Peer[], gone: readonly Peer[]): Option[] {
  const options: Option[] = [{ value: '', label: 'All messages' }, { value: HUMAN_ID, label: 'To or from you' }];
  for (const p of [...live, ...gone.slice(0, 20)]) options.push({ value: p.id, label: p.status === 'gone' ? `${p.name} (gone)` : p.name });
  return options;
}
