// Coordination beyond messages: named locks with a fair queue (git, npm-install, anything) and
// file claims. Both expire by TTL and die with their holder's session, so nothing deadlocks.
import type { Database } from './sqlite.ts';
import { globMatch } from '../common/paths.ts';
import { ApiError } from './errors.ts';
import type { Claim, Conflict, LockInfo } from '../protocol/wire.ts';

/** How long a waiter stays queued without asking again. */
const WAITER_TTL_MS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface LockRow { name: string; peer_id: string; peer_name: string; reason: string | null; acquired_at: number | null; expires_at: number; queued_at: number }
interface ClaimRow { peer_id: string; peer_name: string; pattern: string; reason: string | null; expires_at: number }

export type AcquireResult = { granted: true; lock: LockInfo } | { granted: false; lock: LockInfo; position: number };

/** A lock or claim row that has expired or whose holder is gone (one `?`: now). */
const STALE = 'expires_at < ? OR peer_id IN (SELECT id FROM peers WHERE gone = 1)';

export class Coordination {
  constructor(private readonly db: Database, private readonly now: () => number = Date.now) {}

  /** Drops expired locks, waiters and claims, and everything held by gone peers. */
  cleanup(): boolean {
    const now = this.now();
    // Look before writing: this runs after every liveness sweep, and a write transaction each time
    // would stall the broker for the busy timeout whenever another process holds the database.
    const stale = this.db.prepare(`SELECT 1 FROM locks WHERE ${STALE} UNION ALL SELECT 1 FROM claims WHERE ${STALE} LIMIT 1`).get(now, now);
    if (!stale) return false;
    return this.db.transaction(() => {
      const a = this.db.prepare(`DELETE FROM locks WHERE ${STALE}`).run(now).changes;
      const b = this.db.prepare(`DELETE FROM claims WHERE ${STALE}`).run(now).changes;
      return a + b > 0;
    });
  }

  acquire(peerId: string, name: string, ttlMs: number, reason: string | null): AcquireResult {
    return this.db.transaction(() => {
      this.cleanup();
      const now = this.now();
      const rows = this.rows(name);
      const holder = rows.find((r) => r.acquired_at !== null);
      if (holder?.peer_id === peerId) {
        this.db.prepare('UPDATE locks SET expires_at = ?, reason = COALESCE(?, reason) WHERE name = ? AND peer_id = ?').run(now + ttlMs, reason, name, peerId);
        return { granted: true, lock: this.info(name)! };
      }
      const waiters = rows.filter((r) => r.acquired_at === null);
      const first = waiters[0];
      if (!holder && (!first || first.peer_id === peerId)) {
        this.db.prepare('DELETE FROM locks WHERE name = ? AND peer_id = ?').run(name, peerId);
        this.db.prepare('INSERT INTO locks (name, peer_id, reason, acquired_at, expires_at, queued_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(name, peerId, reason, now, now + ttlMs, first?.queued_at ?? now);
        return { granted: true, lock: this.info(name)! };
      }
      // Queue (or stay queued, keeping the place) behind the holder and earlier waiters.
      this.db.prepare(
        `INSERT INTO locks (name, peer_id, reason, acquired_at, expires_at, queued_at) VALUES (?, ?, ?, NULL, ?, ?)
         ON CONFLICT (name, peer_id) DO UPDATE SET expires_at = excluded.expires_at, reason = excluded.reason`,
      ).run(name, peerId, reason, now + WAITER_TTL_MS, now);
      const position = this.rows(name).filter((r) => r.acquired_at === null).findIndex((r) => r.peer_id === peerId) + 1;
      return { granted: false, lock: this.info(name)!, position };
    });
  }

  /** Releases a lock (or leaves its queue). `force` lets the human break someone else's lock. */
  release(name: string, peerId: string | null, force = false): boolean {
    const res = force
      ? this.db.prepare('DELETE FROM locks WHERE name = ? AND acquired_at IS NOT NULL').run(name)
      : this.db.prepare('DELETE FROM locks WHERE name = ? AND peer_id = ?').run(name, peerId);
    return res.changes > 0;
  }

  /** Releases the locks a peer's hook took automatically for one command. */
  releaseAuto(peerId: string): string[] {
    const rows = this.db.prepare("SELECT name FROM locks WHERE peer_id = ? AND reason LIKE 'auto:%'").all<{ name: string }>(peerId);
    this.db.prepare("DELETE FROM locks WHERE peer_id = ? AND reason LIKE 'auto:%'").run(peerId);
    return rows.map((r) => r.name);
  }

  locks(): LockInfo[] {
    const names = this.db.prepare('SELECT DISTINCT name FROM locks ORDER BY name').all<{ name: string }>();
    return names.map((n) => this.info(n.name)).filter((l): l is LockInfo => l !== null);
  }

  private rows(name: string): LockRow[] {
    return this.db.prepare(
      `SELECT l.*, p.name AS peer_name FROM locks l JOIN peers p ON p.id = l.peer_id
       WHERE l.name = ? ORDER BY (l.acquired_at IS NULL), l.queued_at, l.rowid`,
    ).all<LockRow>(name);
  }

  private info(name: string): LockInfo | null {
    const rows = this.rows(name);
    if (!rows.length) return null;
    const h = rows.find((r) => r.acquired_at !== null);
    return {
      name,
      holder: h ? { id: h.peer_id, name: h.peer_name, reason: h.reason, acquiredAt: iso(h.acquired_at!), expiresAt: iso(h.expires_at) } : null,
      waiters: rows.filter((r) => r.acquired_at === null).map((r) => ({ id: r.peer_id, name: r.peer_name, reason: r.reason, since: iso(r.queued_at) })),
    };
  }

  // ---- claims ------------------------------------------------------------------------------

  claim(peerId: string, patterns: string[], reason: string | null, ttlMs: number): Claim[] {
    if (!patterns.length) throw new ApiError(400, 'no_paths', 'Give at least one path or glob to claim.');
    const expires = this.now() + ttlMs;
    this.db.transaction(() => {
      const ins = this.db.prepare(
        `INSERT INTO claims (peer_id, pattern, reason, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (peer_id, pattern) DO UPDATE SET reason = excluded.reason, expires_at = excluded.expires_at`,
      );
      for (const p of patterns) ins.run(peerId, p, reason, expires);
    });
    return this.claims().filter((c) => c.peerId === peerId);
  }

  unclaim(peerId: string, patterns: string[] | null): number {
    if (!patterns) return this.db.prepare('DELETE FROM claims WHERE peer_id = ?').run(peerId).changes;
    let n = 0;
    for (const p of patterns) n += this.db.prepare('DELETE FROM claims WHERE peer_id = ? AND pattern = ?').run(peerId, p).changes;
    return n;
  }

  claims(): Claim[] {
    return this.db.prepare(
      `SELECT c.*, p.name AS peer_name FROM claims c JOIN peers p ON p.id = c.peer_id
       WHERE p.gone = 0 AND c.expires_at >= ? ORDER BY c.pattern`,
    ).all<ClaimRow>(this.now()).map((r) => ({ peerId: r.peer_id, peerName: r.peer_name, pattern: r.pattern, reason: r.reason, expiresAt: iso(r.expires_at) }));
  }

  /** Claims by other peers that cover this file, as conflicts (pass `claims` when checking many files). */
  claimsOn(path: string, exceptPeer: string | null, claims: Claim[] = this.claims()): Conflict[] {
    const hits = claims.filter((c) => c.peerId !== exceptPeer && globMatch(c.pattern, path));
    if (!hits.length) return [];
    return [{ path, peers: hits.map((c) => ({ id: c.peerId, name: c.peerName, at: c.expiresAt, how: 'claim' as const })) }];
  }
}

export { globMatch };
