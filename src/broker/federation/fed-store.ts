// The federation's tables (migration 6): brokers heard from with their pinned keys and sequence
// numbers, the outbox, and which local message each incoming one became. It only stores; the
// caller holds the transaction where several writes must land together.
import type { Database } from '../sqlite.ts';

export interface OutboxRow { seq: number; to_broker: string; body: string }
export interface KnownBroker { id: string; public_key: string; host: string | null; first_seen: number; last_seen: number; out_seq: number; in_seq: number }

export class FedStore {
  constructor(readonly db: Database, private readonly now: () => number = Date.now) {}

  /**
   * Trust on first use: the first key seen for a broker id is kept; afterwards only that key
   * speaks for it. Returns false when `publicKey` is not the pinned one.
   */
  pin(id: string, publicKey: string, host: string | null): boolean {
    const row = this.db.prepare('SELECT public_key, host, last_seen FROM fed_brokers WHERE id = ?').get<{ public_key: string; host: string | null; last_seen: number }>(id);
    const now = this.now();
    if (!row) {
      this.db.prepare('INSERT INTO fed_brokers (id, public_key, host, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING')
        .run(id, publicKey, host, now, now);
      return this.db.prepare('SELECT public_key FROM fed_brokers WHERE id = ?').get<{ public_key: string }>(id)?.public_key === publicKey;
    }
    if (row.public_key !== publicKey) return false;
    // A page write per envelope is not needed: the host when it changes, the time once a minute.
    if ((host !== null && host !== row.host) || now - row.last_seen > 60_000) {
      this.db.prepare('UPDATE fed_brokers SET host = COALESCE(?, host), last_seen = ? WHERE id = ?').run(host, now, id);
    }
    return true;
  }

  broker(id: string): KnownBroker | null {
    return this.db.prepare('SELECT * FROM fed_brokers WHERE id = ?').get<KnownBroker>(id) ?? null;
  }

  /** Queues an envelope for `to` with the next sequence number of that direction (inside the caller's transaction). */
  enqueue(to: string, payload: (seq: number) => object): void {
    const row = this.db.prepare('UPDATE fed_brokers SET out_seq = out_seq + 1 WHERE id = ? RETURNING out_seq').get<{ out_seq: number }>(to);
    if (!row) throw new Error(`no broker ${to} is known here`);
    this.db.prepare('INSERT INTO fed_outbox (to_broker, body, created_at) VALUES (?, ?, ?)').run(to, JSON.stringify(payload(row.out_seq)), this.now());
  }

  outbox(limit: number, afterSeq = 0): OutboxRow[] {
    return this.db.prepare('SELECT seq, to_broker, body FROM fed_outbox WHERE seq > ? ORDER BY seq LIMIT ?').all<OutboxRow>(afterSeq, limit);
  }

  outboxCount(): number {
    return this.db.prepare('SELECT count(*) AS n FROM fed_outbox').get<{ n: number }>()!.n;
  }

  /** Drops the envelopes NATS has taken. */
  sent(seqs: number[]): void {
    if (seqs.length) this.db.prepare('DELETE FROM fed_outbox WHERE seq IN (SELECT value FROM json_each(?))').run(JSON.stringify(seqs));
  }

  inSeq(from: string): number {
    return this.db.prepare('SELECT in_seq FROM fed_brokers WHERE id = ?').get<{ in_seq: number }>(from)?.in_seq ?? 0;
  }

  setInSeq(from: string, seq: number): void {
    this.db.prepare('UPDATE fed_brokers SET in_seq = ? WHERE id = ? AND in_seq < ?').run(seq, from, seq);
  }

  /** Remembers which local message an incoming one became. */
  mapInbound(localId: number, origin: string, originId: number): void {
    this.db.prepare('INSERT OR IGNORE INTO fed_inbound (local_id, origin_broker, origin_id) VALUES (?, ?, ?)').run(localId, origin, originId);
  }

  /** The local id of a message that came from `origin` as `originId`. */
  localIdOf(origin: string, originId: number): number | null {
    return this.db.prepare('SELECT local_id FROM fed_inbound WHERE origin_broker = ? AND origin_id = ?').get<{ local_id: number }>(origin, originId)?.local_id ?? null;
  }

  /** Where local messages came from, for those that came from other brokers. */
  origins(localIds: number[]): { local_id: number; origin_broker: string; origin_id: number }[] {
    if (!localIds.length) return [];
    return this.db.prepare('SELECT local_id, origin_broker, origin_id FROM fed_inbound WHERE local_id IN (SELECT value FROM json_each(?))')
      .all<{ local_id: number; origin_broker: string; origin_id: number }>(JSON.stringify(localIds));
  }
}
