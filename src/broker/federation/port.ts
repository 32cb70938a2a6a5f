// What the broker's service asks of a federation (src/broker/federation/federation.ts), so the
// service's rules reach remote peers without knowing NATS. Without a federation the service runs
// exactly as on one machine. The methods marked "inside the caller's transaction" only write to
// SQLite (the outbox), synchronously, so a send is durable with its envelopes in one commit.
import type { Conflict, DeliveryState, FederationStatus, LockInfo, Message, Peer } from '../../protocol/wire.ts';

export type Resolved = { id: string; name: string } | { ambiguous: string[] } | null;

export interface FederationPort {
  /** A remote peer (or a remote broker's human) by id, `name@host`, or a name no other remote peer has. */
  resolve(to: string): Resolved;
  /** A remote peer by its id here, live or gone, or null. */
  peer(id: string): Peer | null;
  /** The live peers of the other brokers. */
  livePeers(): Peer[];
  /** The repository identity of a local work tree (normalised remote URL), or null. */
  repoOf(gitRoot: string | null): string | null;
  /** Inside the caller's transaction: envelopes for the deliveries of these messages to remote peers. */
  queueMessages(messages: Message[]): void;
  /** Inside the caller's transaction: delivery states of messages that came from other brokers, back to them. */
  queueStates(owner: string, ids: number[], state: DeliveryState): void;
  /** After a commit that queued envelopes: send them. */
  kick(): void;
  /** Edits by remote peers of the same repository and path as `path`, which `peer` is about to edit. */
  conflictsOn(peer: Peer, path: string): Conflict[];
  /** Every local edit that meets an edit by a remote peer (same repository, same path inside it). */
  conflicts(touches: { peerId: string; peerName: string; path: string; at: number }[], peers: Peer[]): Conflict[];
  /** Locks held by peers of other brokers. */
  locks(): LockInfo[];
  /** Takes the network-wide side of a lock a local peer was just granted; refused while another broker's peer holds it. */
  acquireLock(name: string, holder: { id: string; name: string }, reason: string | null, timeoutMs: number): Promise<{ granted: true } | { granted: false; lock: LockInfo }>;
  /** The local lock has no holder any more: give up its network-wide side. */
  releaseLock(name: string): void;
  status(): FederationStatus;
  close(): Promise<void>;
}

/** A remote peer's id here: `r_<broker id>_<its id at its broker>` (fits the routes' id pattern). */
export const remoteId = (broker: string, id: string) => `r_${broker}_${id}`;
export function parseRemoteId(id: string): { broker: string; origin: string } | null {
  const m = /^r_(b[0-9a-f]{20})_([A-Za-z0-9_-]{1,40})$/.exec(id);
  return m ? { broker: m[1], origin: m[2] } : null;
}

export const FEDERATION_OFF: FederationStatus = {
  state: 'off', since: null, url: null, network: null, broker: null, host: null, brokers: 0, remotePeers: 0, outbox: 0, problem: null,
};
