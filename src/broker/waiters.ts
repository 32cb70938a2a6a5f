// Long polls of idle sessions' rewake hooks: each waits until a message for its peer arrives, the
// session gets busy again (someone typed), a newer waiter replaces it, or its time is up.

export type WakeReason = 'message' | 'busy' | 'superseded' | 'timeout';

interface Waiter { resolve: (r: WakeReason) => void; timer: NodeJS.Timeout }

export class Waiters {
  private readonly byPeer = new Map<string, Waiter>();

  /**
   * Waits for the next wake-up of this peer; a previous waiter of the same peer is superseded.
   * `cancel` ends this wait only (a client that hung up), never a newer one.
   */
  wait(peerId: string, ms: number): { done: Promise<WakeReason>; cancel(): void } {
    this.wake(peerId, 'superseded');
    let self: Waiter | null = null;
    const done = new Promise<WakeReason>((resolve) => {
      self = { resolve, timer: setTimeout(() => this.wake(peerId, 'timeout'), ms) };
      this.byPeer.set(peerId, self);
    });
    return {
      done,
      cancel: () => { if (this.byPeer.get(peerId) === self) this.wake(peerId, 'superseded'); },
    };
  }

  wake(peerId: string, reason: WakeReason): void {
    const w = this.byPeer.get(peerId);
    if (!w) return;
    this.byPeer.delete(peerId);
    clearTimeout(w.timer);
    w.resolve(reason);
  }

  has(peerId: string): boolean { return this.byPeer.has(peerId); }

  close(): void {
    for (const id of [...this.byPeer.keys()]) this.wake(id, 'timeout');
  }
}
