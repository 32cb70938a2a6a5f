// Server-sent event fan-out. A subscriber is either one peer's inbox (its MCP server) or an
// observer that sees everything (the VS Code panel, `claude-peers inbox`, tests).
//
// Frames are queued per subscriber and leave together at the end of the current callback (a
// microtask): the many sends of one group commit then cost each stream one write. A reader that
// stops reading (a paused `claude-peers inbox --follow`, a hung process) is dropped once the
// kernel and Node hold MAX_BUFFERED bytes for it: everything it missed is in the store, and it
// reads it again when it reconnects. Memory per stream is bounded; nothing is lost.
import type { ServerResponse } from 'node:http';
import type { BrokerEvent, Message } from '../protocol/wire.ts';

export interface Subscriber {
  readonly peerId: string | null;
  readonly res: ServerResponse;
  queued: string;
  /**
   * While set, the stream is being filled from the store (messages after this id are read there,
   * in order), so live messages for it are not written twice or out of order.
   */
  replayingAfter: number | null;
}

const KEEPALIVE_MS = 15_000;
/** What a stream may have waiting in buffers before its reader counts as stalled. */
export const MAX_BUFFERED = 4 * 1024 * 1024;

export class EventHub {
  private readonly subs = new Set<Subscriber>();
  private readonly timer: NodeJS.Timeout;
  private readonly waiting = new Set<Subscriber>();
  private flushing = false;

  constructor(private readonly log: (line: string) => void = () => {}, private readonly seal: (peerId: string, id: number) => string = () => '') {
    // A comment line keeps proxies and idle-timeouts from closing quiet streams.
    this.timer = setInterval(() => { for (const s of this.subs) this.queue(s, ': keepalive\n\n'); }, KEEPALIVE_MS);
    this.timer.unref();
  }

  /** Opens an event stream on `res`. */
  subscribe(res: ServerResponse, peerId: string | null): Subscriber {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const sub: Subscriber = { peerId, res, queued: '', replayingAfter: null };
    this.subs.add(sub);
    res.on('close', () => { this.subs.delete(sub); this.waiting.delete(sub); });
    return sub;
  }

  /** One event to one subscriber (replays, hello). */
  send(sub: Subscriber, e: BrokerEvent): void {
    this.queue(sub, frame(e));
  }

  /** A message on its recipient's own stream, with the seal that proves later it was pushed by us. */
  sendMessage(sub: Subscriber, m: Message, replay = false): void {
    this.queue(sub, frame({ type: 'message', message: m, seal: this.seal(m.toId, m.id), ...(replay ? { replay } : {}) }));
  }

  /** True while the peer's MCP server holds a stream open: it counts as a heartbeat. */
  connected(peerId: string): boolean {
    for (const s of this.subs) if (s.peerId === peerId) return true;
    return false;
  }

  /** Each delivery goes to its recipient's streams; observers get every one. */
  messages(msgs: Message[]): void {
    for (const m of msgs) {
      let plain: string | null = null;
      for (const s of this.subs) {
        if (s.peerId === null) this.queue(s, (plain ??= frame({ type: 'message', message: m })));
        else if (s.peerId === m.toId && !(s.replayingAfter !== null && m.id > s.replayingAfter)) this.sendMessage(s, m);
      }
    }
  }

  /** Bumped at every peer change the hub announces: lets readers cache the peer list safely. */
  peerVersion = 0;

  private readonly taps = new Set<(e: BrokerEvent) => void>();

  /** Hears every broadcast in-process (the federation tells other brokers of peer changes); returns the untap. */
  tap(fn: (e: BrokerEvent) => void): () => void {
    this.taps.add(fn);
    return () => this.taps.delete(fn);
  }

  /** Events about the network (peers, states, conflicts): observers and, when named, one peer. */
  broadcast(e: BrokerEvent, alsoPeer?: string): void {
    if (e.type === 'peer' || e.type === 'peer_gone') this.peerVersion++;
    for (const t of this.taps) t(e);
    let f: string | null = null;
    for (const s of this.subs) if (s.peerId === null || s.peerId === alsoPeer) this.queue(s, (f ??= frame(e)));
  }

  /** Writes what is queued now (a replay wants to know whether the socket keeps up). */
  flush(): void {
    this.flushing = false;
    for (const s of this.waiting) {
      if (!s.res.writableEnded && !s.res.destroyed) {
        s.res.write(s.queued);
        if (s.res.writableLength > MAX_BUFFERED) this.drop(s);
      }
      s.queued = '';
    }
    this.waiting.clear();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    for (const s of this.subs) s.res.end();
    this.subs.clear();
  }

  private drop(s: Subscriber): void {
    this.log(`dropped the event stream of ${s.peerId ? `peer ${s.peerId}` : 'an observer'}: it stopped reading (${(s.res.writableLength / 2 ** 20).toFixed(1)} MiB waiting); ` +
      'it reads what it missed from the store when it reconnects');
    this.subs.delete(s);
    s.res.destroy();
  }

  private queue(s: Subscriber, text: string): void {
    s.queued += text;
    this.waiting.add(s);
    if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(() => this.flush());
    }
  }
}

const frame = (e: BrokerEvent) => `data: ${JSON.stringify(e)}\n\n`;
