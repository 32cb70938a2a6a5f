// The picture of the network an observer keeps (the extension's PeerDirectory and the panel's
// webview), and the one reducer that moves it along the broker's event stream. Pure: no I/O, no
// clock. Changes are applied in place, with an index kept beside the snapshot, so that a burst of
// a thousand events costs a thousand cheap steps, not a thousand copies.
import type { BrokerEvent, Claim, Conflict, DeliveryState, FederationStatus, LockInfo, Message, Peer } from './wire.ts';

/** How many messages a picture keeps; the panel renders a window of them. */
export const MESSAGE_CAP = 2000;

export interface DirectorySnapshot {
  connected: boolean;
  peers: Peer[];
  /** Oldest first (by id), at most MESSAGE_CAP. A broadcast is one id with a row per recipient. */
  messages: Message[];
  conflicts: Conflict[];
  locks: LockInfo[];
  claims: Claim[];
  /** The broker's federation (off, connected, disconnected since …); null from a broker without one. */
  federation: FederationStatus | null;
}

export type DirectoryChange =
  | { kind: 'connection'; connected: boolean }
  /** The whole picture was reloaded: observers take a fresh snapshot. */
  | { kind: 'reset' }
  | { kind: 'peer'; peer: Peer }
  | { kind: 'message'; message: Message }
  | { kind: 'message_state'; ids: number[]; toId: string; state: DeliveryState }
  | { kind: 'conflicts'; conflicts: Conflict[] }
  | { kind: 'locks'; locks: LockInfo[] }
  | { kind: 'claims'; claims: Claim[] }
  | { kind: 'federation'; federation: FederationStatus };

export function emptySnapshot(): DirectorySnapshot {
  return { connected: false, peers: [], messages: [], conflicts: [], locks: [], claims: [], federation: null };
}

/** A snapshot with the indexes the reducer needs. Build it with createModel. */
export interface DirectoryModel {
  readonly snapshot: DirectorySnapshot;
  /** Message rows by `${id}:${toId}`. */
  readonly rows: Map<string, Message>;
  /** Peer position in snapshot.peers by id. */
  readonly peerAt: Map<string, number>;
}

const rowKey = (id: number, toId: string) => `${id}:${toId}`;
const STATE_RANK: Record<DeliveryState, number> = { queued: 0, delivered: 1, read: 2 };

/**
 * Takes ownership of `snapshot` (its arrays are reordered and trimmed in place): messages sorted
 * by id, duplicates (same id and recipient) dropped, at most `cap` kept.
 */
export function createModel(snapshot: DirectorySnapshot = emptySnapshot(), cap = MESSAGE_CAP): DirectoryModel {
  const rows = new Map<string, Message>();
  const messages: Message[] = [];
  for (const m of snapshot.messages.slice().sort((a, b) => a.id - b.id)) {
    const k = rowKey(m.id, m.toId);
    if (rows.has(k)) continue;
    rows.set(k, m);
    messages.push(m);
  }
  snapshot.messages = messages;
  const peers: Peer[] = [];
  const peerAt = new Map<string, number>();
  for (const p of snapshot.peers) {
    const i = peerAt.get(p.id);
    if (i === undefined) { peerAt.set(p.id, peers.length); peers.push(p); } else peers[i] = p;
  }
  snapshot.peers = peers;
  const model = { snapshot, rows, peerAt };
  trim(model, cap);
  return model;
}

/** The change a broker event makes to the picture, or null for events that change nothing in it. */
export function changeOf(e: BrokerEvent): DirectoryChange | null {
  switch (e.type) {
    case 'peer':
    case 'peer_gone':
      return { kind: 'peer', peer: e.peer };
    case 'message':
      return { kind: 'message', message: e.message };
    case 'message_state':
      return { kind: 'message_state', ids: e.ids, toId: e.toId, state: e.state };
    case 'conflicts':
      return { kind: 'conflicts', conflicts: e.conflicts };
    case 'locks':
      return { kind: 'locks', locks: e.locks };
    case 'claims':
      return { kind: 'claims', claims: e.claims };
    case 'federation':
      return { kind: 'federation', federation: e.federation };
    case 'hello':
      return null;
  }
}

export interface ApplyResult {
  /** The changes that changed something (a repeated message or a backward state does not). */
  applied: DirectoryChange[];
  /** A `reset` came by: the observer must fetch a whole new snapshot. */
  needSnapshot: boolean;
}

/** Applies changes in order, in place. */
export function applyChanges(model: DirectoryModel, changes: readonly DirectoryChange[], cap = MESSAGE_CAP): ApplyResult {
  const applied: DirectoryChange[] = [];
  let needSnapshot = false;
  let appended = false;
  for (const c of changes) {
    if (c.kind === 'reset') { needSnapshot = true; applied.push(c); continue; }
    if (!applyOne(model, c)) continue;
    applied.push(c);
    if (c.kind === 'message') appended = true;
  }
  // Trimmed once per batch: a burst past the cap costs one splice, not one per message.
  if (appended) trim(model, cap);
  return { applied, needSnapshot };
}

function applyOne(model: DirectoryModel, c: Exclude<DirectoryChange, { kind: 'reset' }>): boolean {
  const s = model.snapshot;
  switch (c.kind) {
    case 'connection':
      if (s.connected === c.connected) return false;
      s.connected = c.connected;
      return true;
    case 'peer': {
      const i = model.peerAt.get(c.peer.id);
      if (i === undefined) { model.peerAt.set(c.peer.id, s.peers.length); s.peers.push(c.peer); } else s.peers[i] = c.peer;
      return true;
    }
    case 'message': {
      const k = rowKey(c.message.id, c.message.toId);
      if (model.rows.has(k)) return false;
      const copy = { ...c.message };
      model.rows.set(k, copy);
      insertById(s.messages, copy);
      return true;
    }
    case 'message_state': {
      let changed = false;
      for (const id of c.ids) {
        const m = model.rows.get(rowKey(id, c.toId));
        // States only move forward (queued → delivered → read), whatever order events come in.
        if (m && STATE_RANK[c.state] > STATE_RANK[m.state]) { m.state = c.state; changed = true; }
      }
      return changed;
    }
    case 'conflicts':
      s.conflicts = c.conflicts;
      return true;
    case 'locks':
      s.locks = c.locks;
      return true;
    case 'claims':
      s.claims = c.claims;
      return true;
    case 'federation':
      s.federation = c.federation;
      return true;
  }
}

/** Events come in id order almost always: insert from the end. */
function insertById(list: Message[], m: Message): void {
  let i = list.length;
  while (i > 0 && list[i - 1].id > m.id) i--;
  list.splice(i, 0, m);
}

function trim(model: DirectoryModel, cap: number): void {
  const list = model.snapshot.messages;
  if (list.length <= cap) return;
  for (const old of list.splice(0, list.length - cap)) model.rows.delete(rowKey(old.id, old.toId));
}
