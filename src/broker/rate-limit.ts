// Per-peer token buckets: one runaway agent must not flood its peers or starve the broker.
// Limits are per minute with a burst of the same size; 0 turns a limit off.

export interface RateLimits { messagesPerMin: number; requestsPerMin: number }

interface Bucket { tokens: number; at: number; kind: keyof RateLimits }

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: RateLimits, private readonly now: () => number = Date.now) {}

  static fromEnv(env = process.env): RateLimiter {
    const n = (v: string | undefined, d: number) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Math.max(0, Number(v)) : d);
    return new RateLimiter({
      messagesPerMin: n(env.CLAUDE_PEERS_RATE_MESSAGES_PER_MIN, 300),
      requestsPerMin: n(env.CLAUDE_PEERS_RATE_REQUESTS_PER_MIN, 3000),
    });
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait. */
  take(kind: keyof RateLimits, peerId: string): number {
    const perMin = this.limits[kind];
    if (!perMin) return 0;
    const key = `${kind}:${peerId}`;
    const now = this.now();
    const rate = perMin / 60_000;
    const b = this.buckets.get(key) ?? { tokens: perMin, at: now, kind };
    b.tokens = Math.min(perMin, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    if (this.buckets.size > 10_000) this.prune(now);
    return Math.ceil((1 - b.tokens) / rate / 1000);
  }

  limit(kind: keyof RateLimits): number { return this.limits[kind]; }

  /** Forgets the buckets that have refilled completely (forgetting one is the same as keeping it full). */
  private prune(now: number): void {
    for (const [k, b] of this.buckets) {
      const limit = this.limits[b.kind];
      if (b.tokens + (now - b.at) * (limit / 60_000) >= limit) this.buckets.delete(k);
    }
  }
}
