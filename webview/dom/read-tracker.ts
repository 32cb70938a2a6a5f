// "Read" as the human means it: a message to you counts as read once the panel has shown it, that
// is, while the panel is visible, at least half of its row (or half the stream's height, for a
// tall row) has been in the stream's viewport. Seen ids go to the host in small batches; the host
// acks them as the human.
const BATCH_MS = 300;

export class ReadTracker {
  private readonly observer: IntersectionObserver;
  private readonly inView = new Set<number>();
  private readonly sent = new Set<number>();
  private readonly pending = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hostVisible = true;
  private watched = new Set<Element>();

  constructor(private readonly scroller: HTMLElement, private readonly markRead: (ids: number[]) => Promise<unknown>) {
    this.observer = new IntersectionObserver((entries) => {
      const rootHeight = this.scroller.clientHeight;
      for (const e of entries) {
        const id = Number((e.target as HTMLElement).dataset.read);
        const seen = e.isIntersecting && (e.intersectionRatio >= 0.5 || e.intersectionRect.height >= rootHeight * 0.5);
        if (seen) this.inView.add(id); else this.inView.delete(id);
      }
      this.collect();
    }, { root: scroller, threshold: [0, 0.25, 0.5, 0.75, 1] });
    document.addEventListener('visibilitychange', () => this.collect());
  }

  /** The host tells whether the view is on screen (a hidden view's page may still say "visible"). */
  setHostVisible(visible: boolean): void {
    this.hostVisible = visible;
    this.collect();
  }

  /** After a paint: watch the rows that are unread and show their text. */
  watch(rows: Iterable<HTMLElement>): void {
    const now = new Set<Element>();
    for (const row of rows) {
      now.add(row);
      if (!this.watched.has(row)) this.observer.observe(row);
    }
    for (const row of this.watched) {
      if (!now.has(row)) { this.observer.unobserve(row); this.inView.delete(Number((row as HTMLElement).dataset.read)); }
    }
    this.watched = now;
  }

  private collect(): void {
    if (!this.hostVisible || document.visibilityState !== 'visible') return;
    for (const id of this.inView) if (!this.sent.has(id)) this.pending.add(id);
    if (this.pending.size && !this.timer) this.timer = setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.hostVisible || document.visibilityState !== 'visible') return;
    const ids = [...this.pending].filter((id) => this.inView.has(id));
    this.pending.clear();
    if (!ids.length) return;
    for (const id of ids) this.sent.add(id);
    // Failed: let a later sighting try again.
    this.markRead(ids).catch(() => { for (const id of ids) this.sent.delete(id); });
  }
}
