// Group commit for sends: requests that arrive in the same turn of the event loop are written in
// one SQLite transaction, and each is answered only after that commit. An input's own refusal
// must leave nothing behind: it is thrown before the input writes (Store.sendWithin), or the
// input runs in a savepoint (a nested transaction).
// Durability is the same as one transaction per send (nobody hears "sent" before the commit), but
// concurrent senders share the cost of the commit, which dominates a send.
import type { Database } from './sqlite.ts';

export class GroupCommit<I, O> {
  private queue: { input: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  /**
   * `ownError` says which failures belong to one input alone (a validation refusal); any other
   * error (disk full, I/O, busy) may have ended the whole transaction, so the batch fails with it.
   */
  constructor(
    private readonly db: Database,
    private readonly apply: (input: I) => O,
    private readonly ownError: (e: unknown) => boolean,
    private readonly maxBatch = 256,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    const results: ({ ok: true; value: O } | { ok: false; error: unknown })[] = [];
    try {
      this.db.transaction(() => {
        for (const item of batch) {
          // A refusal wrote nothing (see above): the batch goes on without it.
          try {
            results.push({ ok: true, value: this.apply(item.input) });
          } catch (error) {
            if (!this.ownError(error)) throw error;
            results.push({ ok: false, error });
          }
        }
      });
    } catch (e) {
      // The commit itself failed (database locked, disk full): nothing of the batch was kept.
      for (const item of batch) item.reject(e);
      return;
    }
    batch.forEach((item, i) => {
      const r = results[i];
      if (r.ok) item.resolve(r.value); else item.reject(r.error);
    });
  }
}
