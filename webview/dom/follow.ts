// Keeps the newest message in view: while the stream shows its bottom, new rows keep it there (also
// while rows below the fold settle to their real height); once the human scrolls up it stays where
// it is and a "new messages" button counts what came in below.
const SLACK_PX = 24;

export class StreamFollower {
  private atBottom = true;
  private jumpOnAdd = false;
  private below = 0;

  constructor(private readonly scroller: HTMLElement, list: HTMLElement, private readonly pill: HTMLButtonElement) {
    scroller.addEventListener('scroll', () => {
      this.atBottom = this.measureAtBottom();
      if (this.atBottom) this.setBelow(0);
    }, { passive: true });
    // Rows change height after they are painted (content-visibility, fonts, a wider panel).
    new ResizeObserver(() => { if (this.atBottom) this.toBottom(); }).observe(list);
    new ResizeObserver(() => { if (this.atBottom) this.toBottom(); }).observe(scroller);
  }

  private measureAtBottom(): boolean {
    const s = this.scroller;
    return s.scrollTop + s.clientHeight >= s.scrollHeight - SLACK_PX;
  }

  /** The next row to appear is the human's own: show it wherever the stream was. */
  expectOwnMessage(): void {
    this.jumpOnAdd = true;
  }

  /** After a paint: `added` new rows, `own` whether one of them is the human's. */
  afterPaint(added: number, own: boolean): void {
    if (!added) return;
    if (this.atBottom || (own && this.jumpOnAdd)) {
      this.jumpOnAdd = false;
      this.toBottom();
    } else {
      this.setBelow(this.below + added);
    }
  }

  /** Scrolls to the newest row (also the "new messages" button and a new filter). */
  toBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.atBottom = true;
    this.setBelow(0);
  }

  get following(): boolean { return this.atBottom; }

  private setBelow(n: number): void {
    if (n === this.below) return;
    this.below = n;
    this.pill.hidden = n === 0;
    const label = this.pill.querySelector('span:last-child');
    if (label) label.textContent = `${n} new message${n === 1 ? '' : 's'}`;
  }
}
