// A live, in-memory picture of the broker for observers (the VS Code extension, its panel, the
// status bar): loads a snapshot, then follows the broker's event stream. No vscode import, so the
// same model is unit-testable and usable from a CLI.
import type { BrokerClient } from './broker-client.ts';
import type { BrokerEvent, BrokerStatus, Claim, Conflict, FederationStatus, LockInfo, Message, Peer, PeersResponse } from '../protocol/wire.ts';

/** How many messages the model keeps; the panel renders a window of them. */
export const MESSAGE_CAP = 2000;

export interface DirectorySnapshot {
  connected: boolean;
  peers: Peer[];
  /** Oldest first, at most MESSAGE_CAP. */
  messages: Message[];
  conflicts: Conflict[];
  locks: LockInfo[];
  claims: Claim[];
  /** The broker's federation (off, connected, disconnected since …); absent from an older broker. */
  federation?: FederationStatus | null;
}

export type DirectoryChange =
  | { kind: 'connection'; connected: boolean }
  | { kind: 'reset' }
  | { kind: 'peer'; peer: Peer }
  | { kind: 'message'; message: Message }
  | { kind: 'message_state'; ids: number[]; toId: string; state: Message['state'] }
  | { kind: 'conflicts'; conflicts: Conflict[] }
  | { kind: 'locks'; locks: LockInfo[] }
  | { kind: 'claims'; claims: Claim[] }
  | { kind: 'federation'; federation: FederationStatus };

type Listener = (c: DirectoryChange) => void;

const rowKey = (id: number, toId: string) => `${id}:${toId}`;

export class PeerDirectory {
  private readonly peers = new Map<string, Peer>();
  private messages: Message[] = [];
  /** A broadcast is one id with a row per recipient: rows are keyed by id and recipient. */
  private readonly messageIndex = new Map<string, Message>();
  private conflicts: Conflict[] = [];
  private locks: LockInfo[] = [];
  private claims: Claim[] = [];
  private federation: FederationStatus | null = null;
  private connected = false;
  private readonly listeners = new Set<Listener>();
  private stream: { close(): void } | null = null;

  constructor(private readonly client: BrokerClient, private readonly log: (line: string) => void = () => {}) {}

  /** Starts following the broker (a new leader on the same port is followed by reconnecting). */
  start(): void {
    this.stream?.close();
    this.stream = this.client.subscribe(null, (e) => this.apply(e), (up, err) => {
      if (up) {
        // Every (re)connect reloads the full picture: events missed while down are not replayed.
        this.reload().catch((e) => this.log(`Could not load the broker's state: ${(e as Error).message}`));
      } else if (this.connected) {
        this.connected = false;
        this.log(`Lost the broker's event stream${err ? `: ${err.message}` : ''}; reconnecting.`);
        this.emit({ kind: 'connection', connected: false });
      }
    });
  }

  /** The client this model reads through; observers send through it too. */
  get brokerClient(): BrokerClient { return this.client; }

  stop(): void {
    this.stream?.close();
    this.stream = null;
  }

  onChange(fn: Listener): { dispose(): void } {
    this.listeners.add(fn);
    return { dispose: () => this.listeners.delete(fn) };
  }

  snapshot(): DirectorySnapshot {
    return {
      connected: this.connected,
      peers: [...this.peers.values()],
      messages: this.messages.slice(),
      conflicts: this.conflicts.slice(),
      locks: this.locks.slice(),
      claims: this.claims.slice(),
      federation: this.federation,
    };
  }

  livePeers(): Peer[] { return [...this.peers.values()].filter((p) => p.status !== 'gone'); }
  peer(id: string): Peer | undefined { return this.peers.get(id); }
  currentConflicts(): Conflict[] { return this.conflicts; }
  currentClaims(): Claim[] { return this.claims; }
  currentFederation(): FederationStatus | null { return this.federation; }
  /** Messages to a peer that have not surely reached its model (delivered is not read). */
  unreadFor(peerId: string): Message[] { return this.messages.filter((m) => m.toId === peerId && m.state !== 'read'); }

  async reload(): Promise<void> {
    const [peers, msgs, conflicts, locks, claims, status] = await Promise.all([
      // With a federation, the peers of the other brokers too (each with its host).
      this.client.get<PeersResponse>('/peers?all=1&network=1'),
      this.client.get<{ messages: Message[] }>(`/messages?limit=${MESSAGE_CAP}`),
      this.client.get<{ conflicts: Conflict[] }>('/conflicts'),
      this.client.get<{ locks: LockInfo[] }>('/locks'),
      this.client.get<{ claims: Claim[] }>('/claims'),
      this.client.get<BrokerStatus>('/status').catch(() => null),
    ]);
    this.peers.clear();
    for (const p of peers.peers) this.peers.set(p.id, p);
    this.messages = msgs.messages.slice().sort((a, b) => a.id - b.id);
    this.messageIndex.clear();
    for (const m of this.messages) this.messageIndex.set(rowKey(m.id, m.toId), m);
    this.conflicts = conflicts.conflicts;
    this.locks = locks.locks;
    this.claims = claims.claims;
    this.federation = status?.federation ?? null;
    this.connected = true;
    this.emit({ kind: 'reset' });
  }

  /** Applies one broker event; exported for tests through `apply`. */
  apply(e: BrokerEvent): void {
    switch (e.type) {
      case 'peer':
      case 'peer_gone':
        this.peers.set(e.peer.id, e.peer);
        this.emit({ kind: 'peer', peer: e.peer });
        return;
      case 'message': {
        const k = rowKey(e.message.id, e.message.toId);
        if (this.messageIndex.has(k)) return;
        this.messages.push(e.message);
        this.messageIndex.set(k, e.message);
        if (this.messages.length > MESSAGE_CAP) {
          for (const old of this.messages.splice(0, this.messages.length - MESSAGE_CAP)) this.messageIndex.delete(rowKey(old.id, old.toId));
        }
        this.emit({ kind: 'message', message: e.message });
        return;
      }
      case 'message_state': {
        for (const id of e.ids) {
          const m = this.messageIndex.get(rowKey(id, e.toId));
          if (m) m.state = e.state;
        }
        this.emit({ kind: 'message_state', ids: e.ids, toId: e.toId, state: e.state });
        return;
      }
      case 'conflicts':
        this.conflicts = e.conflicts;
        this.emit({ kind: 'conflicts', conflicts: e.conflicts });
        return;
      case 'locks':
        this.locks = e.locks;
        this.emit({ kind: 'locks', locks: e.locks });
        return;
      case 'claims':
        this.claims = e.claims;
        this.emit({ kind: 'claims', claims: e.claims });
        return;
      case 'federation':
        this.federation = e.federation;
        this.emit({ kind: 'federation', federation: e.federation });
        return;
      case 'hello':
        return;
    }
  }

  private emit(c: DirectoryChange): void {
    for (const fn of this.listeners) {
      try { fn(c); } catch (e) { this.log(`A directory listener failed: ${(e as Error).message}`); }
    }
  }
}
