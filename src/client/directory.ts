// A live, in-memory picture of the broker for observers (the VS Code extension, its panel, the
// status bar): loads a snapshot, then follows the broker's event stream. No vscode import, so the
// same model is unit-testable and usable from a CLI.
import type { BrokerClient } from './broker-client.ts';
import type { BrokerEvent, BrokerStatus, Claim, Conflict, FederationStatus, LockInfo, Message, Peer, PeersResponse } from '../protocol/wire.ts';
import {
  applyChanges, changeOf, createModel, MESSAGE_CAP, type DirectoryChange, type DirectoryModel, type DirectorySnapshot,
} from '../protocol/directory-model.ts';

type Listener = (c: DirectoryChange) => void;

export class PeerDirectory {
  private model: DirectoryModel = createModel();
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
      } else if (this.model.snapshot.connected) {
        this.log(`Lost the broker's event stream${err ? `: ${err.message}` : ''}; reconnecting.`);
        this.change({ kind: 'connection', connected: false });
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
    const s = this.model.snapshot;
    return {
      connected: s.connected,
      peers: s.peers.slice(),
      messages: s.messages.slice(),
      conflicts: s.conflicts.slice(),
      locks: s.locks.slice(),
      claims: s.claims.slice(),
      federation: s.federation,
    };
  }

  get connected(): boolean { return this.model.snapshot.connected; }
  livePeers(): Peer[] { return this.model.snapshot.peers.filter((p) => p.status !== 'gone'); }
  peer(id: string): Peer | undefined {
    const i = this.model.peerAt.get(id);
    return i === undefined ? undefined : this.model.snapshot.peers[i];
  }
  currentConflicts(): Conflict[] { return this.model.snapshot.conflicts; }
  currentClaims(): Claim[] { return this.model.snapshot.claims; }
  currentLocks(): LockInfo[] { return this.model.snapshot.locks; }
  currentFederation(): FederationStatus | null { return this.model.snapshot.federation; }
  /** Messages to a peer (or the human) that have not surely been read (delivered is not read). */
  unreadFor(peerId: string): Message[] { return this.model.snapshot.messages.filter((m) => m.toId === peerId && m.state !== 'read'); }

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
    this.model = createModel({
      connected: true, peers: peers.peers, messages: msgs.messages, conflicts: conflicts.conflicts, locks: locks.locks, claims: claims.claims,
      federation: status?.federation ?? null,
    });
    this.emit({ kind: 'reset' });
  }

  /** Applies one broker event and tells the listeners what it changed (tests call it directly). */
  apply(e: BrokerEvent): void {
    const c = changeOf(e);
    if (c) this.change(c);
  }

  private change(c: DirectoryChange): void {
    for (const done of applyChanges(this.model, [c]).applied) this.emit(done);
  }

  private emit(c: DirectoryChange): void {
    for (const fn of this.listeners) {
      try { fn(c); } catch (e) { this.log(`A directory listener failed: ${(e as Error).message}`); }
    }
  }
}
