// This session's membership of the network: registration, heartbeats, and the event stream that
// brings its messages. Survives broker restarts (re-registers; the pid keeps the same peer) and
// dedupes re-sent messages, so each one is pushed to the model once.
import { BrokerClient, BrokerError } from '../client/broker-client.ts';
import type { PeersConfig } from '../common/config.ts';
import { claudeHomeOf, type SessionIdentity } from '../common/identity.ts';
import type { InboxResponse, Message, Peer, RegisterRequest, RegisterResponse } from '../protocol/wire.ts';

export interface PeerSessionOptions {
  config: PeersConfig;
  identity: () => SessionIdentity;
  /** Acts with the session key; registers with the join token. */
  client: BrokerClient;
  sessionKey: string;
  channels: boolean;
  /** How Claude Code names our tools in this session (the plugin prefixes them). */
  toolPrefix: string;
  heartbeatMs: number;
  /** Pushes one message to Claude Code; `seal` proves to the broker later that the push was ours; `replay`: it waited while we were away. */
  onMessage: (m: Message, seal: string | undefined, replay: boolean) => void | Promise<void>;
  log: (line: string) => void;
}

/** The reminder counts at most this many (as the broker's inbox answers at most 500). */
const UNREAD_KEPT = 500;
/** Pushed ids remembered for dedupe; a replay only re-sends what was never acked, i.e. recent ids. */
const SEEN_KEPT = 10_000;

/** Drops the oldest entries (insertion order) beyond `max`. */
function trim(c: Set<number> | Map<number, unknown>, max: number): void {
  while (c.size > max) c.delete(c.keys().next().value as number);
}

/**
 * How long acks of pushed messages gather before one request carries them all. An ack only moves
 * a message from queued to delivered (the panel's tick) and stops replays on reconnect; `seen`
 * dedupes replays within this process, and acks still pending are sent when the server closes.
 * Under load an ack request per 20 ms cost a fifth of a receiving server's CPU; per 100 ms, little.
 */
const ACK_BATCH_MS = 100;

export class PeerSession {
  peer: Peer | null = null;
  private stream: { close(): void } | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly seen = new Set<number>();
  /**
   * Messages to this session not yet known to have reached the model, kept from the event stream
   * (pushes add, read states remove) and fetched once per connect: every tool result carries the
   * "N unread" line without a request of its own.
   */
  private readonly unread = new Map<number, Message>();
  /** What the stream brought while the connect-time inbox fetch was under way (it wins over the answer). */
  private duringFetch: { reads: Set<number>; pushed: Message[] } | null = null;
  private readonly pendingAcks = new Set<number>();
  private ackTimer: NodeJS.Timeout | null = null;
  private registering: Promise<Peer | null> | null = null;
  /** Why the last registration failed, in words for the model (broker down, port held by a stranger…). */
  lastError: Error | null = null;
  private closed = false;

  constructor(private readonly o: PeerSessionOptions) {}

  get client(): BrokerClient { return this.o.client; }
  get toolPrefix(): string { return this.o.toolPrefix; }

  async start(): Promise<void> {
    await this.register();
    this.heartbeat = setInterval(() => void this.beat(), this.o.heartbeatMs);
    this.heartbeat.unref();
    this.openStream();
  }

  /** Registers (or re-registers) this session; concurrent callers share one attempt. */
  register(): Promise<Peer | null> {
    this.registering ??= (async () => {
      try {
        this.o.client.refreshSecrets(this.o.config);
        const id = this.o.identity();
        const body: RegisterRequest = {
          sessionKey: this.o.sessionKey, pid: id.pid, pidStart: id.pidStart, sessionId: id.sessionId, cwd: id.cwd, gitRoot: id.gitRoot,
          branch: id.branch, terminalId: id.terminalId, channels: this.o.channels, preferredName: id.preferredName,
          toolPrefix: this.o.toolPrefix, claudeHome: claudeHomeOf(process.env),
        };
        // The join token lets a session in; from then on it acts with its own key.
        const { peer } = await this.o.client.request<RegisterResponse>('POST', '/peers', body, undefined, this.o.client.proofKey);
        if (this.peer?.id !== peer.id) this.o.log(`registered as ${peer.name} (${peer.id}) for claude pid ${id.pid}`);
        this.peer = peer;
        this.lastError = null;
        if (!this.stream && !this.closed && this.heartbeat) this.openStream();
        return peer;
      } catch (e) {
        if (this.lastError?.message !== (e as Error).message) this.o.log(`registration failed: ${(e as Error).message}`);
        this.lastError = e as Error;
        return null;
      } finally {
        this.registering = null;
      }
    })();
    return this.registering;
  }

  /** The registered peer, registering first if the broker was unreachable until now. */
  async current(): Promise<Peer> {
    const p = this.peer ?? (await this.register());
    if (!p) throw this.lastError ?? new BrokerError(0, 'broker_down', `The claude-peers broker on 127.0.0.1:${this.o.config.port} is not reachable.`);
    return p;
  }

  private async beat(): Promise<void> {
    if (!this.peer) { await this.register(); return; }
    try {
      await this.o.client.post(`/peers/${this.peer.id}/heartbeat`, {});
    } catch (e) {
      // A broker on a fresh database no longer knows us (our key is unknown there); a gone peer is revived by registering.
      if (e instanceof BrokerError && (e.code === 'unknown_peer' || e.code === 'unauthorized' || e.status === 0)) await this.register();
    }
  }

  private openStream(): void {
    const peer = this.peer;
    if (!peer || this.closed) return;
    this.stream = this.o.client.subscribe(peer.id, (e) => {
      if (e.type === 'message') void this.receive(e.message, e.seal, e.replay === true);
      else if (e.type === 'hello') void this.refreshUnread();
      else if (e.type === 'message_state' && e.state === 'read' && e.toId === this.peer?.id) this.markRead(e.ids);
    }, (connected, err) => {
      if (connected) return;
      this.o.log(`event stream lost (${err?.message ?? 'closed'}); reconnecting`);
      // The broker may have restarted: registering again refreshes us and revives a gone peer.
      void this.register();
    });
  }

  /** Unread messages, oldest first. */
  unreadMessages(): Message[] {
    return [...this.unread.values()];
  }

  /** These reached the model (check_messages, a hook, or the broker said so). */
  markRead(ids: number[]): void {
    for (const id of ids) {
      this.unread.delete(id);
      this.duringFetch?.reads.add(id);
    }
  }

  /** On every (re)connect: what is unread now, since reads may have happened while we were away. */
  private async refreshUnread(): Promise<void> {
    const me = this.peer;
    if (!me) return;
    const during = (this.duringFetch = { reads: new Set<number>(), pushed: [] as Message[] });
    try {
      const { messages } = await this.o.client.get<InboxResponse>(`/peers/${me.id}/inbox`);
      if (this.duringFetch !== during) return; // a newer connect took over
      this.unread.clear();
      for (const m of [...messages, ...during.pushed].sort((a, b) => a.id - b.id)) if (!during.reads.has(m.id)) this.unread.set(m.id, m);
      trim(this.unread, UNREAD_KEPT);
    } catch (e) {
      this.o.log(`could not fetch the inbox: ${(e as Error).message}`);
    } finally {
      if (this.duringFetch === during) this.duringFetch = null;
    }
  }

  private async receive(m: Message, seal: string | undefined, replay: boolean): Promise<void> {
    if (!this.peer || m.toId !== this.peer.id) return;
    if (m.state !== 'read') {
      this.unread.set(m.id, m);
      trim(this.unread, UNREAD_KEPT);
      this.duringFetch?.pushed.push(m);
    }
    if (this.seen.has(m.id)) {
      this.ack([m.id]);
      return;
    }
    this.seen.add(m.id);
    trim(this.seen, SEEN_KEPT);
    try {
      await this.o.onMessage(m, seal, replay);
      this.ack([m.id]);
    } catch (e) {
      this.seen.delete(m.id); // not pushed: let the next replay try again
      this.o.log(`could not push message ${m.id}: ${(e as Error).message}`);
    }
  }

  /**
   * Acknowledges deliveries in batches: a burst of pushes costs one request, not one each. An ack
   * lost to a crash only means a replay on reconnect, which `seen` (or the model's dedupe) absorbs.
   */
  private ack(ids: number[]): void {
    for (const id of ids) this.pendingAcks.add(id);
    this.ackTimer ??= setTimeout(() => void this.flushAcks(), ACK_BATCH_MS);
  }

  private async flushAcks(): Promise<void> {
    this.ackTimer = null;
    const ids = [...this.pendingAcks];
    this.pendingAcks.clear();
    if (!this.peer || !ids.length) return;
    try {
      await this.o.client.post(`/peers/${this.peer.id}/ack`, { ids, state: 'delivered' });
    } catch (e) {
      this.o.log(`ack failed: ${(e as Error).message}`);
    }
  }

  /** Leaves the network: stops the stream and heartbeats, sends the acks still pending. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.stream?.close();
    await this.flushAcks();
    this.o.client.close();
  }
}
