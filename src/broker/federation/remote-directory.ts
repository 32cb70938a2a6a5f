// The other brokers of the network and their peers, as this broker last heard of them through
// the presence bucket (already verified by federation.ts). A broker is live while its heartbeats
// keep coming; its peers count only while it is. A peer that left is kept as gone, so a message
// to it by id or name@host still reaches its broker, as for a local peer.
import { pathKey } from '../../common/paths.ts';
import { HUMAN_ID, type BrokerEvent, type Peer } from '../../protocol/wire.ts';
import { cleanName } from '../names.ts';
import type { PeerPayload } from './envelope.ts';
import { remoteId, type Resolved } from './port.ts';

interface RemoteBroker { id: string; host: string; lastHeard: number; live: boolean }
interface RemotePeer { peer: Peer; broker: string; files: { rel: string | null; at: number }[] }

export interface RemoteDirectoryHooks {
  /** Silence after which a broker (and all its peers) is gone. */
  staleMs: number;
  /** The host a broker was pinned with, for one not heard from since this broker started. */
  storedHost(broker: string): string | null;
  broadcast(e: BrokerEvent): void;
  log(line: string): void;
  /** A remote peer's files changed: conflicts may have. */
  filesChanged(): void;
  /** The counts in the federation status may have changed. */
  countsChanged(): void;
  /** Brokers came or went with their peers; `cameLive` when at least one came. */
  livenessChanged(cameLive: boolean): void;
}

export class RemoteDirectory {
  private readonly brokers = new Map<string, RemoteBroker>();
  private readonly peers = new Map<string, RemotePeer>();

  constructor(private readonly h: RemoteDirectoryHooks) {}

  /** A verified heartbeat of `broker`, heard at `at` (its own clock for one found at start). */
  heartbeat(broker: string, host: string, at: number): void {
    const b = this.brokers.get(broker);
    if (b) {
      b.lastHeard = Math.max(b.lastHeard, at);
      if (b.host !== host) { b.host = host; for (const rp of this.peers.values()) if (rp.broker === b.id) this.setPeer(rp, { host }); }
    } else this.brokers.set(broker, { id: broker, host, lastHeard: at, live: false });
    this.sweep();
  }

  /** The broker said goodbye (its heartbeat entry was deleted): gone now, not after the silence. */
  brokerGone(broker: string): void {
    const b = this.brokers.get(broker);
    if (b) b.lastHeard = 0;
    this.sweep();
  }

  /** A verified peer entry of `broker`. */
  upsert(broker: string, p: PeerPayload): void {
    const q = p.peer;
    const id = remoteId(broker, q.id);
    const before = this.peers.get(id);
    const peer: Peer = {
      id, name: cleanName(q.name) ?? `peer-${q.id.slice(-6)}`, kind: q.kind, host: this.hostOf(broker), pid: 0, sessionId: null,
      cwd: q.cwd, gitRoot: q.gitRoot, branch: q.branch, tty: null, summary: q.summary, task: q.task, status: q.status,
      terminalId: null, channels: q.channels, files: q.files.map((f) => ({ path: f.path, at: f.at, tool: f.tool })),
      registeredAt: q.registeredAt, lastSeen: q.lastSeen, repo: q.repo,
    };
    const rp: RemotePeer = { peer, broker, files: q.files.map((f) => ({ rel: f.rel, at: Date.parse(f.at) || 0 })) };
    this.peers.set(id, rp);
    const b = this.brokers.get(broker);
    if (b?.live) {
      if (JSON.stringify(before?.peer) !== JSON.stringify(peer)) this.h.broadcast({ type: 'peer', peer });
      if (JSON.stringify(before?.files) !== JSON.stringify(rp.files)) this.h.filesChanged();
    }
    if (!b) this.brokers.set(broker, { id: broker, host: peer.host!, lastHeard: 0, live: false }); // until its heartbeat
    this.h.countsChanged();
  }

  /** A peer entry was deleted: the peer left. */
  drop(id: string): void {
    const rp = this.peers.get(id);
    if (!rp) return;
    const wasLive = this.brokers.get(rp.broker)?.live && rp.peer.status !== 'gone';
    rp.peer = { ...rp.peer, status: 'gone' };
    rp.files = [];
    if (wasLive) { this.h.broadcast({ type: 'peer_gone', peer: rp.peer }); this.h.filesChanged(); }
    this.h.countsChanged();
  }

  /** Brokers heard from lately are live with their peers; the rest are gone, with theirs. */
  sweep(): void {
    const now = Date.now();
    let changed = false;
    let cameLive = false;
    for (const b of this.brokers.values()) {
      const live = now - b.lastHeard < this.h.staleMs;
      if (live === b.live) continue;
      b.live = live;
      changed = true;
      cameLive ||= live;
      this.h.log(`broker ${b.id} (host "${b.host}") is ${live ? 'live' : 'gone'}`);
      for (const rp of this.peers.values()) {
        if (rp.broker !== b.id || rp.peer.status === 'gone') continue;
        this.h.broadcast(live ? { type: 'peer', peer: rp.peer } : { type: 'peer_gone', peer: { ...rp.peer, status: 'gone' } });
      }
    }
    if (changed) this.h.livenessChanged(cameLive);
  }

  hostOf(broker: string): string {
    return this.brokers.get(broker)?.host ?? this.h.storedHost(broker) ?? broker;
  }

  /** Whether a broker is live; undefined for one never heard of. */
  isLive(broker: string): boolean | undefined {
    return this.brokers.get(broker)?.live;
  }

  liveBrokers(): number {
    let n = 0;
    for (const b of this.brokers.values()) if (b.live) n++;
    return n;
  }

  /** Whether any remote peer was ever heard of (nothing to look through otherwise). */
  get empty(): boolean { return this.peers.size === 0; }

  livePeers(): Peer[] {
    const out: Peer[] = [];
    for (const rp of this.peers.values()) if (rp.peer.status !== 'gone' && this.brokers.get(rp.broker)?.live) out.push(rp.peer);
    return out;
  }

  peer(id: string): Peer | null {
    const rp = this.peers.get(id);
    if (!rp) return null;
    return this.brokers.get(rp.broker)?.live ? rp.peer : { ...rp.peer, status: 'gone' };
  }

  /** A remote id, `name@host`, `human@host` or a bare name that only one remote peer has. */
  resolve(to: string): Resolved {
    const t = to.trim();
    const rp = this.peers.get(t);
    const display = (p: Peer) => `${p.name}@${p.host}`;
    if (rp) return { id: t, name: display(rp.peer) };
    const human = /^r_(b[0-9a-f]{20})_human$/.exec(t);
    if (human && this.brokers.has(human[1])) return { id: t, name: `human@${this.hostOf(human[1])}` };
    const at = t.lastIndexOf('@');
    const name = (at > 0 ? t.slice(0, at) : t).toLowerCase();
    const host = at > 0 ? t.slice(at + 1).toLowerCase() : null;
    if (name === HUMAN_ID && host) {
      const bs = [...this.brokers.values()].filter((b) => b.live && b.host.toLowerCase() === host);
      if (bs.length === 1) return { id: remoteId(bs[0].id, HUMAN_ID), name: `human@${bs[0].host}` };
    }
    const hits = [...this.peers.values()].filter((x) => x.peer.name === name && (host === null || (x.peer.host ?? '').toLowerCase() === host));
    const live = hits.filter((x) => x.peer.status !== 'gone' && this.brokers.get(x.broker)?.live);
    const pick = live.length ? live : hits;
    if (pick.length === 1) return { id: pick[0].peer.id, name: display(pick[0].peer) };
    if (pick.length > 1) return { ambiguous: pick.slice(0, 10).map((x) => `${display(x.peer)} (id ${x.peer.id})`) };
    return null;
  }

  /** Live remote peers that edited `rel` of the repository `repo` since `since`. */
  edits(repo: string, rel: string, since: number): { id: string; name: string; at: string; how: 'edit' }[] {
    const key = pathKey(rel);
    const out: { id: string; name: string; at: string; how: 'edit' }[] = [];
    for (const rp of this.peers.values()) {
      if (rp.peer.repo !== repo || rp.peer.status === 'gone' || !this.brokers.get(rp.broker)?.live) continue;
      const hit = rp.files.find((f) => f.rel !== null && pathKey(f.rel) === key && f.at >= since);
      if (hit) out.push({ id: rp.peer.id, name: `${rp.peer.name}@${rp.peer.host}`, at: new Date(hit.at).toISOString(), how: 'edit' });
    }
    return out;
  }

  private setPeer(rp: RemotePeer, change: Partial<Peer>): void {
    rp.peer = { ...rp.peer, ...change };
    if (this.brokers.get(rp.broker)?.live) this.h.broadcast({ type: rp.peer.status === 'gone' ? 'peer_gone' : 'peer', peer: rp.peer });
  }
}
