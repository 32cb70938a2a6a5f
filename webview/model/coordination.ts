// Conflicts, locks and claims as the panel shows them: a banner per file two live peers are on,
// a row per lock and per claim, with ages and whether the holder is gone.
import type { DirectorySnapshot } from '../../src/protocol/directory-model.ts';
import type { Conflict, Peer } from '../../src/protocol/wire.ts';
import { ago, displayPath, until } from './format.ts';
import type { ClaimRow, ConflictBanner, LockRow } from './view-types.ts';

/** Live peers that really touch the same file (the broker only reports live ones; re-checked here). */
export function liveConflicts(conflicts: readonly Conflict[], peers: ReadonlyMap<string, Peer>): Conflict[] {
  return conflicts
    .map((c) => ({ ...c, peers: c.peers.filter((p) => peers.get(p.id)?.status !== 'gone') }))
    .filter((c) => new Set(c.peers.map((p) => p.id)).size >= 2);
}

export function conflictBanners(conflicts: readonly Conflict[], folders: readonly string[], home: string, now: number): ConflictBanner[] {
  return conflicts.map((c) => {
    const label = displayPath(c.path, folders, home);
    const names = c.peers.map((p) => `${p.name} (${p.how === 'claim' ? 'claimed' : 'edited'})`);
    return {
      path: c.path, label,
      peers: c.peers.map((p) => ({ id: p.id, name: p.name, how: p.how, ago: ago(p.at, now) })),
      text: `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are both on ${label}`,
    };
  });
}

export function lockRows(s: DirectorySnapshot, peers: ReadonlyMap<string, Peer>, now: number): LockRow[] {
  return s.locks.map((l) => ({
    name: l.name,
    holder: l.holder && {
      id: l.holder.id, name: l.holder.name, reason: l.holder.reason,
      age: ago(l.holder.acquiredAt, now), expires: until(l.holder.expiresAt, now),
      gone: (peers.get(l.holder.id)?.status ?? 'gone') === 'gone',
    },
    waiters: l.waiters.map((w) => w.name),
  }));
}

export function claimRows(s: DirectorySnapshot, peers: ReadonlyMap<string, Peer>, folders: readonly string[], home: string, now: number): ClaimRow[] {
  return s.claims.map((c) => ({
    peerId: c.peerId, peerName: c.peerName, pattern: c.pattern, label: displayPath(c.pattern, folders, home),
    reason: c.reason, expires: until(c.expiresAt, now), gone: (peers.get(c.peerId)?.status ?? 'gone') === 'gone',
  }));
}
