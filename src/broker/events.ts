// Server-sent event fan-out. A subscriber is either one peer's inbox (its MCP server) or an
// observer that sees everything (the VS Code panel, `claude-peers inbox`, tests).
//
// Frames are queued per subscriber and leave together at the end of the current callback (a
// microtask): the many sends of one group commit then cost each stream one write, not one per
// message (a socket write, with the wake-up of its reader, is the dearest thing the broker does
// per message), and the pushes still leave before the senders' answers.
import type { Response } from 'express';
import type { ServerResponse } from 'node:http';
import type { BrokerEvent, Message } from '../protocol/wire.ts';

interface Subscriber { peerId: string | null; res: ServerResponse; queued: string }

const KEEPALIVE_MS = 15_000;

export class EventHub {
  private readonly subs = new Set<Subscriber>();
  private readonly timer: NodeJS.Timeout;
  private readonly waiting = new Set<Subscriber>();
  private flushing = false;

  constructor() {
    // A comment line keeps proxies and idle-timeouts from closing quiet streams.
    this.timer = setInterval(() => { for (const s of this.subs) this.queue(s, ': keepalive\n\n'); }, KEEPALIVE_MS);
    this.timer.unref();
  }

  /** Opens an event stream on `res`; the returned function writes to it alone (for replays). */
  subscribe(res: Response, peerId: string | null): (e: BrokerEvent) => void {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    const sub: Subscriber = { peerId, res, queued: '' };
    this.subs.add(sub);
    res.on('close', () => { this.subs.delete(sub); this.waiting.delete(sub); });
    return (e) => this.queue(sub, frame(e));
  }

  /** True while the peer's MCP server holds a stream open: it counts as a heartbeat. */
  connected(peerId: string): boolean {
    for (const s of this.subs) if (s.peerId === peerId) return true;
    return false;
  }

  /** Each delivery goes to its recipient's streams; observers get every one. */
  messages(msgs: Message[]): void {
    for (const m of msgs) {
      let f: string | null = null;
      for (const s of this.subs) if (s.peerId === null || s.peerId === m.toId) this.queue(s, (f ??= frame({ type: 'message', message: m })));
    }
  }

  /** Bumped at every peer change the hub announces: lets readers cache the peer list safely. */
  peerVersion = 0;

  /** Events about the network (peers, states, conflicts): observers and, when named, one peer. */
  broadcast(e: BrokerEvent, alsoPeer?: string): void {
    if (e.type === 'peer' || e.type === 'peer_gone') this.peerVersion++;
    let f: string | null = null;
    for (const s of this.subs) if (s.peerId === null || s.peerId === alsoPeer) this.queue(s, (f ??= frame(e)));
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    for (const s of this.subs) s.res.end();
    this.subs.clear();
  }

  private queue(s: Subscriber, text: string): void {
    s.queued += text;
    this.waiting.add(s);
    if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    for (const s of this.waiting) {
      if (!s.res.writableEnded && !s.res.destroyed) s.res.write(s.queued);
      s.queued = '';
    }
    this.waiting.clear();
  }
}

const frame = (e: BrokerEvent) => `data: ${JSON.stringify(e)}\n\n`;
