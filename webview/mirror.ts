// The webview's copy of the host's picture: the last snapshot with the changes since applied.
// Pure (no DOM), so it is unit-tested and benchmarked in node. The host stays the source of
// truth: a `reset` asks it for a new snapshot instead of guessing.
import type { DirectoryChange, DirectorySnapshot } from '../src/client/directory.ts';
import type { Message } from '../src/protocol/wire.ts';

/** Messages kept in the mirror (the directory keeps as many; the stream renders a window). */
export const MIRROR_MESSAGE_CAP = 2000;

const STATE_ORDER: Record<Message['state'], number> = { queued: 0, delivered: 1, read: 2 };

export function emptySnapshot(): DirectorySnapshot {
  return { connected: false, peers: [], messages: [], conflicts: [], locks: [], claims: [] };
}

/**
 * Applies changes in place (a burst of a thousand is one call). Returns whether the webview must
 * ask the host for a fresh snapshot (a `reset`).
 */
export function applyChanges(s: DirectorySnapshot, changes: readonly DirectoryChange[]): { needSnapshot: boolean } {
  let needSnapshot = false;
  let index: Map<number, Message[]> | null = null;
  const byId = () => {
    if (!index) {
      index = new Map();
      for (const m of s.messages) {
        const list = index.get(m.id);
        if (list) list.push(m); else index.set(m.id, [m]);
      }
    }
    return index;
  };
  let appended = false;
  for (const c of changes) {
    switch (c.kind) {
      case 'connection':
        s.connected = c.connected;
        break;
      case 'reset':
        needSnapshot = true;
        break;
      case 'peer': {
        const i = s.peers.findIndex((p) => p.id === c.peer.id);
        if (i >= 0) s.peers[i] = c.peer; else s.peers.push(c.peer);
        break;
      }
      case 'message': {
        // A broadcast is one message id with one row per recipient: dedupe on (id, recipient).
        const same = byId().get(c.message.id);
        if (same?.some((m) => m.toId === c.message.toId)) break;
        const copy = { ...c.message };
        s.messages.push(copy);
        if (same) same.push(copy); else byId().set(copy.id, [copy]);
        appended = true;
        break;
      }
      case 'message_state': {
        const toId: string | undefined = c.toId;
        for (const id of c.ids) {
          for (const m of byId().get(id) ?? []) {
            if (toId !== undefined && m.toId !== toId) continue;
            if (STATE_ORDER[c.state] > STATE_ORDER[m.state]) m.state = c.state;
          }
        }
        break;
      }
      case 'conflicts':
        s.conflicts = c.conflicts;
        break;
      case 'locks':
        s.locks = c.locks;
        break;
      case 'claims':
        s.claims = c.claims;
        break;
    }
  }
  if (appended) {
    // Events normally arrive in id order; keep the stream ordered if they did not.
    let sorted = true;
    for (let i = 1; i < s.messages.length; i++) if (s.messages[i - 1].id > s.messages[i].id) { sorted = false; break; }
    if (!sorted) s.messages.sort((a, b) => a.id - b.id);
    if (s.messages.length > MIRROR_MESSAGE_CAP) s.messages.splice(0, s.messages.length - MIRROR_MESSAGE_CAP);
  }
  return { needSnapshot };
}
