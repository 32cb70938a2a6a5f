// Server-sent event fan-out. A subscriber is either one peer's inbox (its MCP server) or an
// observer that sees everything (the VS Code panel, `claude-peers inbox`, tests).
import type { Response } from 'express';
import type { BrokerEvent, Message } from '../protocol/wire.ts';

interface Subscriber { peerId: string | null; res: Response }

const KEEPALIVE_MS = 15_000;

export class EventHub {
  private readonly subs = new Set<Subscriber>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    // A comment line keeps proxies and idle-timeouts from closing quiet streams.
    this.timer = setInterval(() => { for (const s of this.subs) s.res.write(': keepalive\n\n'); }, KEEPALIVE_MS);
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
    const sub: Subscriber = { peerId, res };
    this.subs.add(sub);
    res.on('close', () => this.subs.delete(sub));
    return (e) => write(res, e);
  }

  /** True while the peer's MCP server holds a stream open: it counts as a heartbeat. */
  connected(peerId: string): boolean {
    for (const s of this.subs) if (s.peerId === peerId) return true;
    return false;
  }

  /** Each delivery goes to its recipient's streams; observers get every one. */
  messages(msgs: Message[]): void {
    for (const s of this.subs) {
      for (const m of msgs) if (s.peerId === null || s.peerId === m.toId) write(s.res, { type: 'message', message: m });
    }
  }

  /** Bumped at every peer change the hub announces: lets readers cache the peer list safely. */
  peerVersion = 0;

  /** Events about the network (peers, states, conflicts): observers and, when named, one peer. */
  broadcast(e: BrokerEvent, alsoPeer?: string): void {
    if (e.type === 'peer' || e.type === 'peer_gone') this.peerVersion++;
    for (const s of this.subs) if (s.peerId === null || s.peerId === alsoPeer) write(s.res, e);
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.res.end();
    this.subs.clear();
  }
}

function write(res: Response, e: BrokerEvent): void {
  res.write(`data: ${JSON.stringify(e)}\n\n`);
}
