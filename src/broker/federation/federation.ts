// One broker's membership of a federation of brokers over NATS JetStream (docs/federation.md).
//
// Local stays local: SQLite is the source of truth for this broker's own peers and inbox. NATS
// carries, between brokers:
//   - presence: each broker's heartbeat and its live peers, in a KV bucket every broker watches;
//   - messages and delivery states: envelopes committed to the local outbox in the same
//     transaction as the send (durable before "sent"), published to the network's stream with a
//     Nats-Msg-Id (JetStream drops a re-publish), consumed by the receiving broker's durable
//     consumer, stored there once (a sequence number per direction) before the ack, in order;
//   - network-wide locks: a KV bucket with revision-checked create, update and delete, and a lease
//     each holder refreshes, so a lock whose broker vanished expires.
// What the other brokers said of themselves and their peers is kept in remote-directory.ts.
// Every envelope is signed by this broker's key (keys.ts) and checked on arrival; everything in
// one is text another machine controls, cleaned here and framed as such (protocol/framing.ts).
// When NATS is unreachable nothing local waits for it: sends to remote peers stay in the outbox
// and leave on reconnect, locks fall back to this machine, and the status says since when.
import { connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection, type ConnectionOptions } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VERSION } from '../../common/config.ts';
import { pathKey } from '../../common/paths.ts';
import { pathInRepo, repoIdentity } from '../../common/repo-id.ts';
import { type BrokerEvent, type Conflict, type DeliveryState, type FederationStatus, type LockInfo, type Message, type Peer } from '../../protocol/wire.ts';
import { cleanName } from '../names.ts';
import type { PeerService } from '../service.ts';
import { resolveFederation, type FederationConfig, type FederationOptions } from './config.ts';
import {
  BrokerPayload, InboxPayload, LockPayload, PeerPayload, brokerKey, consumerName, inboxFilter, kvWhere, locksBucket, msgSubject,
  peerKey, presenceBucket, publisherOf, streamName, type MsgPayload, type StatePayload,
} from './envelope.ts';
import { FedStore } from './fed-store.ts';
import { RemoteDirectory } from './remote-directory.ts';
import { loadIdentity, openEnvelope, type BrokerIdentity } from './keys.ts';
import { FEDERATION_OFF, parseRemoteId, remoteId, type FederationPort, type Resolved } from './port.ts';

export interface FederationDeps {
  service: PeerService;
  options: FederationOptions;
  home: string;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

interface HeldLock { local: string; net: string; revision: number; acquiredAt: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Whether a watched entry was written after the watch began. nats.js marks the last of the values
 * found at the start as an update too; an entry written by the server well before we started
 * watching is taken as found, whatever that flag says.
 */
const isLive = (e: { isUpdate: boolean; created: Date }, watchStart: number) => e.isUpdate && e.created.getTime() > watchStart - 2000;
/** Presence changes of local peers leave together after this long (a burst of hook events is one put per peer). */
const PRESENCE_FLUSH_MS = 30;
/** Every live peer is written again this often (the bucket forgets entries after PRESENCE_TTL_MS). */
const PRESENCE_REFRESH_MS = 60_000;
const PRESENCE_TTL_MS = 180_000;
const OUTBOX_WINDOW = 256;
const PUBLISH_TIMEOUT_MS = 5000;
/** Messages wait for an offline broker this long in the stream (its durable consumer keeps its place). */
const STREAM_MAX_AGE_MS = 14 * 24 * 3_600_000;

export class Federation implements FederationPort {
  private readonly service: PeerService;
  private readonly log: (line: string) => void;
  private readonly fed: FedStore;
  private readonly cfg: FederationConfig | null;
  private readonly id: BrokerIdentity | null;
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private presence: KV | null = null;
  private lockKv: KV | null = null;
  /** Bumped at every set-up: loops of an older one stop (and `stops` ends their iterators). */
  private gen = 0;
  private stops: (() => void)[] = [];
  private resetting = false;
  /** Keys pinned in fed_brokers, cached: one SQLite read per new broker, not per envelope. */
  private readonly pins = new Map<string, string>();
  private closed = false;
  private state: 'connected' | 'disconnected' = 'disconnected';
  private since = Date.now();
  private problem: string | null = null;
  private readonly remote: RemoteDirectory;
  private readonly dirty = new Set<string>();
  private readonly published = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private draining = false;
  private drainAgain = false;
  private outboxCount = 0;
  /** The gap a broker's envelopes have (the next sequence number expected) and since when. */
  private readonly gaps = new Map<string, { seq: number; since: number }>();
  private readonly held = new Map<string, HeldLock>();
  private readonly remoteLockEntries = new Map<string, LockPayload>();
  /** Local lock names waiting for a network name another broker holds. */
  private readonly waitingFor = new Map<string, Set<string>>();
  private readonly refused = new Map<string, number>();
  private lastStatus = '';
  private statusTimer: NodeJS.Timeout | null = null;
  private untap: (() => void) | null = null;

  constructor(d: FederationDeps) {
    this.service = d.service;
    this.log = d.log;
    this.fed = new FedStore(d.service.store.db);
    let cfg: FederationConfig | null = null;
    let id: BrokerIdentity | null = null;
    try {
      cfg = resolveFederation(d.options, d.env);
      id = loadIdentity(d.home);
    } catch (e) {
      this.problem = (e as Error).message;
      this.log(`not joining a federation: ${this.problem}`);
    }
    this.cfg = cfg;
    this.id = id;
    this.remote = new RemoteDirectory({
      staleMs: cfg?.timing.staleMs ?? 0,
      storedHost: (b) => this.fed.broker(b)?.host ?? null,
      broadcast: (e) => this.service.hub.broadcast(e),
      log: this.log,
      filesChanged: () => this.conflictsChanged(),
      countsChanged: () => this.announceStatus(),
      livenessChanged: (cameLive) => {
        // A lock another broker held may be free now that its broker is gone, or known again.
        if (cameLive) for (const [net, names] of this.waitingFor) if (!this.remoteHolder(net)) for (const n of names) this.service.networkLockFreed(n);
        this.conflictsChanged();
        this.service.publishCoordination();
        this.announceStatus();
      },
    });
    this.outboxCount = this.fed.outboxCount();
  }

  private get net(): string { return this.cfg!.network; }
  private get self(): string { return this.id!.id; }

  /** Starts joining in the background: the broker serves its own machine whatever NATS does. */
  start(): void {
    if (!this.cfg || !this.id) return;
    this.log(`broker ${this.self} (host "${this.cfg.host}") joins network "${this.net}" at ${this.cfg.displayUrl}`);
    this.untap = this.service.hub.tap((e) => this.onLocalEvent(e));
    const t = this.cfg.timing;
    this.every(t.beatMs, () => { void this.beat(); this.remote.sweep(); });
    this.every(PRESENCE_REFRESH_MS, () => { for (const p of this.service.store.listPeers()) this.dirty.add(p.id); this.scheduleFlush(); });
    this.every(Math.max(500, Math.floor(t.leaseMs / 3)), () => void this.refreshLocks());
    this.every(1000, () => { if (this.outboxCount) this.kick(); });
    void this.run();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => { try { fn(); } catch (e) { this.log(`federation timer failed: ${(e as Error).message}`); } }, ms);
    t.unref();
    this.timers.push(t);
  }

  // ---- connection ------------------------------------------------------------------------

  private async connectOptions(): Promise<ConnectionOptions> {
    const c = this.cfg!;
    const o: ConnectionOptions & { tls?: Record<string, unknown> } = {
      servers: c.servers, name: `claude-peers ${this.self}`, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 1000,
      reconnectJitter: 300, timeout: 5000, pingInterval: c.timing.pingMs, maxPingOut: 2,
    };
    if (c.token) o.token = c.token;
    if (c.user) { o.user = c.user; o.pass = c.pass ?? ''; }
    if (c.credsFile) {
      let text: Buffer;
      try { text = readFileSync(c.credsFile); } catch (e) {
        throw new Error(`cannot read the federation credentials file ${c.credsFile}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`, { cause: e });
      }
      o.authenticator = /-----BEGIN NATS USER JWT-----/.test(text.toString('utf8')) ? credsAuthenticator(text) : nkeyAuthenticator(new TextEncoder().encode(text.toString('utf8').trim()));
    }
    if (c.tls || c.caFile) o.tls = c.caFile ? { caFile: c.caFile } : {};
    return o;
  }

  private async run(): Promise<void> {
    let delay = 500;
    while (!this.closed) {
      let nc: NatsConnection | null = null;
      try {
        nc = await connect(await this.connectOptions());
        if (this.closed) { await nc.close(); return; }
        this.nc = nc;
        void this.watchStatus(nc);
        await this.setUp(nc);
        delay = 500;
        const err = await nc.closed();
        if (err) this.setState('disconnected', this.describe(err));
      } catch (e) {
        this.setState('disconnected', this.describe(e));
        try { await nc?.close(); } catch { /* already closed */ }
      }
      this.nc = null;
      this.stopLoops();
      this.js = null;
      this.presence = null;
      this.lockKv = null;
      if (this.closed) return;
      await sleep(delay + Math.random() * 300);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  /** Errors in words, without any credential (nats.js errors name the server, never the token; be sure anyway). */
  private describe(e: unknown): string {
    let text = (e as Error)?.message ?? String(e);
    const c = this.cfg;
    for (const secret of [c?.token, c?.pass].filter((s): s is string => !!s && s.length >= 4)) text = text.split(secret).join('***');
    text = text.replace(/([a-z]+:\/\/)[^/@\s]*@/gi, '$1');
    if (/authorization|authentication|auth/i.test(text)) text = `NATS refused this broker's credentials (${text.slice(0, 120)}): check CLAUDE_PEERS_FEDERATION_TOKEN or CLAUDE_PEERS_FEDERATION_CREDS`;
    else if (/ECONNREFUSED|CONNECTION_REFUSED|connection refused/i.test(text)) text = `no NATS server answers at ${c?.displayUrl}`;
    return text.slice(0, 300);
  }

  private stopLoops(): void {
    this.gen++;
    for (const stop of this.stops.splice(0)) { try { stop(); } catch { /* already stopped */ } }
  }

  /**
   * Makes sure the stream, this broker's durable consumer and the buckets exist (the server may
   * be a fresh one), starts the loops that read them, and announces this broker and its peers.
   */
  private async setUp(nc: NatsConnection): Promise<void> {
    this.stopLoops();
    const gen = this.gen;
    const jsm = await jetstreamManager(nc);
    const stream = streamName(this.net);
    try {
      await jsm.streams.info(stream);
    } catch {
      try {
        await jsm.streams.add({
          name: stream, subjects: [`cp.${this.net}.m.>`], retention: RetentionPolicy.Interest, storage: StorageType.File,
          max_age: STREAM_MAX_AGE_MS * 1e6, duplicate_window: 120e9, num_replicas: 1,
        });
      } catch (e) {
        if (!/already in use/i.test((e as Error).message)) throw e;
      }
    }
    // The inbox exists before this broker is announced: nothing sent to it can find no interest.
    const durable = consumerName(this.self);
    try {
      await jsm.consumers.info(stream, durable);
    } catch {
      await jsm.consumers.add(stream, {
        durable_name: durable, filter_subject: inboxFilter(this.net, this.self), ack_policy: AckPolicy.Explicit,
        ack_wait: this.cfg!.timing.ackWaitMs * 1e6, max_ack_pending: 1024, deliver_policy: DeliverPolicy.All, max_deliver: -1,
      });
    }
    this.js = jetstream(nc);
    const kvm = new Kvm(nc);
    // Made by whichever broker comes first, used as found by the others.
    const bucket = (name: string, ttl: number) => kvm.create(name, { history: 1, ttl });
    this.presence = await bucket(presenceBucket(this.net), PRESENCE_TTL_MS);
    this.lockKv = await bucket(locksBucket(this.net), this.cfg!.timing.leaseMs * 3);
    void this.consumeLoop(gen);
    void this.watchPresence(gen);
    void this.watchLocks(gen);
    await this.announceAll();
    this.setState('connected', null);
    this.kick();
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.nc !== nc) return;
      if (s.type === 'disconnect') this.setState('disconnected', `lost the connection to ${this.cfg!.displayUrl}; reconnecting`);
      // Entries may have expired while away, and the server may be a fresh one: set up again.
      else if (s.type === 'reconnect') this.requestSetUp();
      else if (s.type === 'error' || s.type === 'ldm') this.log(`NATS: ${s.type}`);
    }
  }

  /** Sets up again (once at a time) until it works or the connection is gone. */
  private requestSetUp(): void {
    const nc = this.nc;
    if (this.resetting || !nc || this.closed) return;
    this.resetting = true;
    void (async () => {
      try {
        while (!this.closed && this.nc === nc && !nc.isClosed()) {
          try { await this.setUp(nc); return; } catch (e) {
            this.setState('disconnected', this.describe(e));
            await sleep(1000);
          }
        }
      } finally {
        this.resetting = false;
      }
    })();
  }

  private setState(state: 'connected' | 'disconnected', problem: string | null): void {
    if (state !== this.state) {
      this.since = Date.now();
      this.log(state === 'connected' ? `connected to ${this.cfg!.displayUrl} (network "${this.net}")` : `disconnected: ${problem ?? 'no reason given'}`);
    } else if (problem && problem !== this.problem) this.log(problem);
    this.state = state;
    this.problem = problem;
    this.announceStatus();
  }

  status(): FederationStatus {
    if (!this.cfg || !this.id) return { ...FEDERATION_OFF, state: 'disconnected', since: new Date(this.since).toISOString(), problem: this.problem };
    return {
      state: this.state, since: new Date(this.since).toISOString(), url: this.cfg.displayUrl, network: this.net, broker: this.self,
      host: this.cfg.host, brokers: this.remote.liveBrokers(), remotePeers: this.remote.livePeers().length, outbox: this.outboxCount, problem: this.problem,
    };
  }

  /** Observers hear of the federation's state when it changes (counts at most every 200 ms). */
  private announceStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      const st = this.status();
      const json = JSON.stringify({ ...st, since: st.state === 'connected' ? null : st.since });
      if (json === this.lastStatus) return;
      this.lastStatus = json;
      this.service.hub.broadcast({ type: 'federation', federation: st });
    }, 200);
    this.statusTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.untap?.();
    const nc = this.nc;
    if (!nc) return;
    // Leaving cleanly: the others drop our peers and locks at once instead of after the lease.
    const bye = async () => {
      const p = this.presence;
      if (p) {
        await Promise.allSettled([...this.published].map((id) => p.delete(peerKey(this.self, id))));
        await p.delete(brokerKey(this.self)).catch(() => {});
      }
      const l = this.lockKv;
      if (l) await Promise.allSettled([...this.held.entries()].map(([key, h]) => l.delete(key, { previousSeq: h.revision })));
    };
    await Promise.race([bye(), sleep(1500)]).catch(() => {});
    this.stopLoops();
    await Promise.race([nc.close(), sleep(1000)]).catch(() => {});
  }

  // ---- presence: ours ------------------------------------------------------------------------

  private onLocalEvent(e: BrokerEvent): void {
    if ((e.type === 'peer' || e.type === 'peer_gone') && e.peer.host === null && !parseRemoteId(e.peer.id)) {
      this.dirty.add(e.peer.id);
      this.scheduleFlush();
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.state !== 'connected') return;
    this.flushTimer = setTimeout(() => { this.flushTimer = null; void this.flushPresence(); }, PRESENCE_FLUSH_MS);
    this.flushTimer.unref();
  }

  private async flushPresence(): Promise<void> {
    const kv = this.presence;
    if (!kv || !this.dirty.size) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    await Promise.allSettled(ids.map(async (id) => {
      const peer = this.service.store.peer(id);
      const key = peerKey(this.self, id);
      try {
        if (peer && peer.status !== 'gone') {
          await kv.put(key, this.id!.seal(this.net, kvWhere(presenceBucket(this.net), key), this.peerPayload(peer)));
          this.published.add(id);
        } else if (this.published.has(id) || peer) {
          await kv.delete(key);
          this.published.delete(id);
        }
      } catch (e) {
        this.dirty.add(id); // once more with the next flush
        this.log(`presence of ${id} not published: ${this.describe(e)}`);
      }
    }));
    if (this.dirty.size) { await sleep(500); this.scheduleFlush(); }
  }

  private peerPayload(p: Peer): PeerPayload {
    return {
      t: 'peer', b: this.self,
      peer: {
        id: p.id, name: p.name, kind: p.kind, status: p.status === 'gone' ? 'idle' : p.status, cwd: p.cwd, gitRoot: p.gitRoot, branch: p.branch,
        summary: p.summary, task: p.task, channels: p.channels, registeredAt: p.registeredAt, lastSeen: p.lastSeen, repo: repoIdentity(p.gitRoot),
        files: p.files.slice(0, 20).map((f) => ({ path: f.path, rel: pathInRepo(p.gitRoot, f.path), at: f.at, tool: f.tool })),
      },
    };
  }

  private async beat(): Promise<void> {
    const kv = this.presence;
    if (!kv || this.state !== 'connected') return;
    const key = brokerKey(this.self);
    const payload: BrokerPayload = { t: 'broker', b: this.self, host: this.cfg!.host, version: VERSION, at: Date.now(), peers: this.published.size };
    try { await kv.put(key, this.id!.seal(this.net, kvWhere(presenceBucket(this.net), key), payload)); } catch (e) {
      this.log(`heartbeat not published: ${this.describe(e)}`);
    }
  }

  /** On every (re)connect: our heartbeat, every live peer, and no entry left of peers that went while we were away. */
  private async announceAll(): Promise<void> {
    const kv = this.presence!;
    await this.beat();
    const live = new Set(this.service.store.listPeers().map((p) => p.id));
    try {
      const stale: string[] = [];
      for await (const k of await kv.keys(`p.${this.self}.*`)) {
        const id = k.split('.')[2];
        if (!live.has(id)) stale.push(k);
      }
      await Promise.allSettled(stale.map((k) => kv.delete(k)));
    } catch (e) {
      this.log(`could not list our old presence entries: ${this.describe(e)}`);
    }
    for (const id of live) this.dirty.add(id);
    await this.flushPresence();
  }

  // ---- presence: theirs ----------------------------------------------------------------------

  private async watchPresence(gen: number): Promise<void> {
    try {
      const since = Date.now();
      const w = await this.presence!.watch();
      if (gen !== this.gen) { w.stop(); return; }
      this.stops.push(() => w.stop());
      for await (const e of w) {
        if (gen !== this.gen) return;
        this.onPresence(e, isLive(e, since));
      }
    } catch (e) {
      if (gen === this.gen) this.log(`presence watch: ${this.describe(e)}`);
    }
    if (gen === this.gen && !this.closed) { await sleep(1000); if (gen === this.gen) this.requestSetUp(); }
  }

  /** Refuses (and says so, once a minute per broker) what does not verify. */
  private refuse(broker: string, why: string): void {
    const now = Date.now();
    if ((this.refused.get(broker) ?? 0) > now - 60_000) return;
    this.refused.set(broker, now);
    this.log(`refused an envelope from ${broker.slice(0, 40)}: ${why}`);
  }

  /** Verifies an envelope and pins its signer's key; the payload, or null after refusing it. */
  private verified(where: string, data: Uint8Array, expect: string, host: string | null): unknown {
    const o = openEnvelope(this.net, where, data, expect);
    if (!o.ok) { this.refuse(expect, o.why); return null; }
    if (this.pins.get(o.broker) === o.publicKey && host === null) return o.payload;
    if (!this.service.store.db.transaction(() => this.fed.pin(o.broker, o.publicKey, host))) {
      this.refuse(o.broker, 'signed by another key than the one pinned for this broker id on first contact');
      return null;
    }
    this.pins.set(o.broker, o.publicKey);
    return o.payload;
  }

  private onPresence(e: KvEntry, live: boolean): void {
    const pub = publisherOf(e.key, this.net);
    if (!pub || pub.broker === this.self) return;
    if (e.operation !== 'PUT') {
      if (pub.kind === 'peer' && pub.rest) this.remote.drop(remoteId(pub.broker, pub.rest));
      if (pub.kind === 'broker') this.remote.brokerGone(pub.broker);
      return;
    }
    const where = kvWhere(presenceBucket(this.net), e.key);
    if (pub.kind === 'broker') {
      const raw = BrokerPayload.safeParse(this.peekPayload(e.value));
      const payload = this.verified(where, e.value, pub.broker, raw.success ? raw.data.host : null);
      const p = BrokerPayload.safeParse(payload);
      if (!payload || !p.success || p.data.b !== pub.broker) { if (payload) this.refuse(pub.broker, 'not a heartbeat'); return; }
      // A heartbeat found when we start may be the last word of a broker that died: judge it by its own clock.
      const now = Date.now();
      this.remote.heartbeat(pub.broker, p.data.host.trim() || pub.broker, live ? now : Math.min(now, p.data.at));
      return;
    }
    if (pub.kind === 'peer' && pub.rest) {
      const payload = this.verified(where, e.value, pub.broker, null);
      const p = PeerPayload.safeParse(payload);
      if (!payload) return;
      if (!p.success || p.data.b !== pub.broker || p.data.peer.id !== pub.rest) { this.refuse(pub.broker, 'not a peer entry'); return; }
      this.remote.upsert(pub.broker, p.data);
    }
  }

  /** The payload of an envelope before it is verified (only to learn a host label for the pin record). */
  private peekPayload(data: Uint8Array): unknown {
    try { return JSON.parse(JSON.parse(Buffer.from(data).toString('utf8')).p); } catch { return null; }
  }

  private conflictTimer: NodeJS.Timeout | null = null;
  private conflictsChanged(): void {
    if (this.conflictTimer) return;
    this.conflictTimer = setTimeout(() => { this.conflictTimer = null; this.service.publishConflicts(); }, 50);
    this.conflictTimer.unref();
  }

  // ---- the port: peers -------------------------------------------------------------------

  livePeers(): Peer[] { return this.remote.livePeers(); }

  peer(id: string): Peer | null { return this.remote.peer(id); }

  repoOf(gitRoot: string | null): string | null { return repoIdentity(gitRoot); }

  resolve(to: string): Resolved { return this.remote.resolve(to); }

  // ---- the port: messages out ------------------------------------------------------------

  queueMessages(messages: Message[]): void {
    if (!this.id) return;
    const byBroker = new Map<string, { id: string; name: string }[]>();
    for (const m of messages) {
      const r = parseRemoteId(m.toId);
      if (!r) continue;
      if (!this.fed.broker(r.broker)) { this.log(`message #${m.id} to ${m.toId}: that broker is unknown here; it stays queued`); continue; }
      let to = byBroker.get(r.broker);
      if (!to) byBroker.set(r.broker, (to = []));
      to.push({ id: r.origin, name: m.toName.replace(/@[^@]*$/, '') });
    }
    if (!byBroker.size) return;
    const m = messages[0];
    const replyTo = m.replyTo ? this.originOf(m.replyTo) : null;
    for (const [broker, to] of byBroker) {
      this.fed.enqueue(broker, (seq): MsgPayload => ({
        t: 'msg', b: this.self, seq, id: m.id,
        from: { id: m.fromId, name: m.fromName, kind: m.fromKind, cwd: m.fromCwd, repo: m.fromRepo },
        to, body: m.body, replyTo, broadcast: m.broadcast, sentAt: Date.parse(m.sentAt),
      }));
      this.outboxCount++;
    }
  }

  /** A local message as its origin names it: ours, or the broker it came from and its id there. */
  private originOf(localId: number): { b: string; id: number } {
    const o = this.fed.origins([localId])[0];
    return o ? { b: o.origin_broker, id: o.origin_id } : { b: this.self, id: localId };
  }

  queueStates(owner: string, ids: number[], state: DeliveryState): void {
    if (!this.id || !ids.length || state === 'queued') return;
    const byBroker = new Map<string, StatePayload['items']>();
    for (const o of this.fed.origins(ids)) {
      let items = byBroker.get(o.origin_broker);
      if (!items) byBroker.set(o.origin_broker, (items = []));
      items.push({ id: o.origin_id, to: owner, state });
    }
    for (const [broker, items] of byBroker) {
      if (!this.fed.broker(broker)) continue;
      this.fed.enqueue(broker, (seq): StatePayload => ({ t: 'state', b: this.self, seq, items }));
      this.outboxCount++;
    }
  }

  kick(): void {
    if (this.draining) { this.drainAgain = true; return; }
    if (!this.js || this.state !== 'connected') return;
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        for (;;) {
          const js = this.js;
          if (!js || this.state !== 'connected' || this.closed) return;
          const rows = this.fed.outbox(OUTBOX_WINDOW);
          if (!rows.length) break;
          // Published together (in order on one connection); the receiver restores the order of
          // anything re-published after a failure, by each envelope's sequence number.
          const results = await Promise.allSettled(rows.map((r) => {
            const subject = msgSubject(this.net, r.to_broker, this.self);
            return js.publish(subject, this.id!.seal(this.net, subject, r.body), { msgID: `${this.self}-${r.seq}`, timeout: PUBLISH_TIMEOUT_MS });
          }));
          const ok = rows.filter((_, i) => results[i].status === 'fulfilled').map((r) => r.seq);
          this.service.store.db.transaction(() => this.fed.sent(ok));
          this.outboxCount = this.fed.outboxCount();
          this.announceStatus();
          if (ok.length < rows.length) {
            const why = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
            this.log(`${rows.length - ok.length} envelope(s) not taken by NATS yet (${this.describe(why)}); they stay in the outbox`);
            await sleep(1000);
            break;
          }
        }
      } while (this.drainAgain);
    } catch (e) {
      this.log(`outbox: ${this.describe(e)}`);
    } finally {
      this.draining = false;
    }
  }

  // ---- messages in -----------------------------------------------------------------------

  private async consumeLoop(gen: number): Promise<void> {
    try {
      const c = await this.js!.consumers.get(streamName(this.net), consumerName(this.self));
      const it = await c.consume({ max_messages: 256, abort_on_missing_resource: true });
      if (gen !== this.gen) { await it.close(); return; }
      this.stops.push(() => void it.close());
      for await (const m of it) {
        if (gen !== this.gen || this.closed) return; // not acked: delivered again to the loop of now
        this.receive(m);
      }
    } catch (e) {
      if (gen === this.gen && !this.closed) this.log(`inbox: ${this.describe(e)}`);
    }
    // The consumer (or the whole stream) may have gone with a server that lost its store.
    if (gen === this.gen && !this.closed) { await sleep(1000); if (gen === this.gen) this.requestSetUp(); }
  }

  private receive(m: JsMsg): void {
    const pub = publisherOf(m.subject, this.net);
    if (!pub || pub.kind !== 'msg' || pub.rest !== this.self) { m.term(); return; }
    const payload = this.verified(m.subject, m.data, pub.broker, null);
    if (!payload) { m.term(); return; }
    const parsed = InboxPayload.safeParse(payload);
    const seq = (payload as { seq?: unknown }).seq;
    if (!parsed.success || parsed.data.b !== pub.broker) {
      this.refuse(pub.broker, `not a message or a state we can take (${parsed.success ? 'wrong sender' : parsed.error.issues[0]?.message ?? 'invalid'})`);
      // Signed by its broker, so its place in the sequence is real: skip it in order, or the ones after it would wait for it.
      if (!(parsed.success || (payload as { b?: unknown }).b !== pub.broker) && Number.isSafeInteger(seq) && (seq as number) > 0) {
        try {
          const r = this.service.store.db.transaction(() => this.apply(pub.broker, seq as number, null));
          if (r.kind === 'gap') { m.nak(500); return; }
        } catch { m.nak(1000); return; }
      }
      m.term();
      return;
    }
    let outcome: ReturnType<Federation['apply']>;
    try {
      outcome = this.service.store.db.transaction(() => this.apply(pub.broker, parsed.data.seq, parsed.data));
    } catch (e) {
      // Not stored (database locked, disk full): JetStream delivers it again.
      this.log(`an envelope from ${pub.broker} was not stored (${(e as Error).message}); it comes again`);
      m.nak(1000);
      return;
    }
    if (outcome.kind === 'gap') { m.nak(500); return; }
    m.ack();
    if (outcome.kind === 'messages' && outcome.messages.length) this.service.announce(outcome.messages);
    if (outcome.kind === 'states') {
      for (const s of outcome.states) this.service.hub.broadcast({ type: 'message_state', ids: s.ids, toId: s.toId, state: s.state }, s.toId);
    }
  }

  /** Inside the transaction: stores one envelope in its sender's order, once (`p` null: a signed envelope we cannot take, skipped in its place). */
  private apply(from: string, seq: number, p: InboxPayload | null):
    | { kind: 'dup' | 'gap' | 'skipped' }
    | { kind: 'messages'; messages: Message[] }
    | { kind: 'states'; states: { toId: string; ids: number[]; state: DeliveryState }[] } {
    const last = this.fed.inSeq(from);
    if (seq <= last) return { kind: 'dup' };
    if (seq > last + 1) {
      const now = Date.now();
      const g = this.gaps.get(from);
      if (!g || g.seq !== last + 1) this.gaps.set(from, { seq: last + 1, since: now });
      if (now - (g && g.seq === last + 1 ? g.since : now) < this.cfg!.timing.gapMs) return { kind: 'gap' };
      this.log(`${seq - last - 1} envelope(s) from broker ${from} never came (the NATS server lost them); going on from ${seq}`);
    }
    this.gaps.delete(from);
    this.fed.setInSeq(from, seq);
    if (!p) return { kind: 'skipped' };
    if (p.t === 'state') {
      const states: { toId: string; ids: number[]; state: DeliveryState }[] = [];
      for (const it of p.items) {
        const toId = remoteId(from, it.to);
        const changed = this.service.store.setState(toId, [it.id], it.state);
        if (changed.length) states.push({ toId, ids: changed, state: it.state });
      }
      return { kind: 'states', states };
    }
    const now = Date.now();
    const replyTo = p.replyTo ? (p.replyTo.b === this.self ? p.replyTo.id : this.fed.localIdOf(p.replyTo.b, p.replyTo.id)) : null;
    const messages = this.service.acceptRemote({
      from: {
        id: remoteId(from, p.from.id),
        name: p.from.kind === 'human' ? (p.from.name.trim() || 'human') : (cleanName(p.from.name) ?? `peer-${p.from.id.slice(-6)}`),
        kind: p.from.kind, cwd: p.from.cwd, repo: p.from.repo, host: this.remote.hostOf(from),
        sentAt: Math.abs(p.sentAt - now) < 86_400_000 ? p.sentAt : now,
      },
      to: p.to.map((t) => t.id),
      body: p.body,
      replyTo,
      broadcast: p.broadcast,
    });
    if (messages.length) this.fed.mapInbound(messages[0].id, from, p.id);
    return { kind: 'messages', messages };
  }

  // ---- conflicts -------------------------------------------------------------------------

  conflictsOn(peer: Peer, path: string): Conflict[] {
    const repo = repoIdentity(peer.gitRoot);
    const rel = pathInRepo(peer.gitRoot, path);
    if (!repo || !rel || this.remote.empty) return [];
    const peers = this.remote.edits(repo, rel, Date.now() - this.service.store.opts.conflictWindowMs);
    return peers.length ? [{ path, peers }] : [];
  }

  conflicts(touches: { peerId: string; peerName: string; path: string; at: number }[], peers: Peer[]): Conflict[] {
    if (this.remote.empty) return [];
    const since = Date.now() - this.service.store.opts.conflictWindowMs;
    const roots = new Map(peers.map((p) => [p.id, p.gitRoot]));
    const byPath = new Map<string, Conflict>();
    for (const t of touches) {
      const root = roots.get(t.peerId);
      const repo = repoIdentity(root);
      const rel = pathInRepo(root, t.path);
      if (!repo || !rel || t.at < since) continue;
      const remote = this.remote.edits(repo, rel, since);
      if (!remote.length) continue;
      const c = byPath.get(pathKey(t.path)) ?? { path: t.path, peers: [] };
      for (const q of [{ id: t.peerId, name: t.peerName, at: new Date(t.at).toISOString(), how: 'edit' as const }, ...remote]) {
        if (!c.peers.some((x) => x.id === q.id)) c.peers.push(q);
      }
      byPath.set(pathKey(t.path), c);
    }
    return [...byPath.values()];
  }

  // ---- locks -----------------------------------------------------------------------------

  /** A lock's name on the network: a repository's git and install locks by its identity, so clones on two hosts share them. */
  private networkName(name: string): string {
    const m = /^(git|npm-install):(.+)$/.exec(name);
    const repo = m ? repoIdentity(m[2]) : null;
    return repo ? `${m![1]}:${repo}` : name;
  }

  private lockKey(net: string): string {
    return `l.${createHash('sha256').update(net).digest('hex').slice(0, 40)}`;
  }

  private lockPayload(net: string, holder: { id: string; name: string }, reason: string | null, acquiredAt: number): string {
    const key = this.lockKey(net);
    const p: LockPayload = {
      t: 'lock', b: this.self, name: net, host: this.cfg!.host, peer: holder, reason, acquiredAt, expiresAt: Date.now() + this.cfg!.timing.leaseMs,
    };
    return this.id!.seal(this.net, kvWhere(locksBucket(this.net), key), p);
  }

  private readLock(key: string, e: KvEntry | null): LockPayload | null {
    if (!e || e.operation !== 'PUT') return null;
    const payload = this.verifiedLock(key, e.value);
    return payload;
  }

  private verifiedLock(key: string, data: Uint8Array): LockPayload | null {
    const peek = this.peekPayload(data) as { b?: unknown } | null;
    const b = typeof peek?.b === 'string' ? peek.b : '';
    const payload = this.verified(kvWhere(locksBucket(this.net), key), data, b, null);
    const p = LockPayload.safeParse(payload);
    return payload && p.success && p.data.b === b && this.lockKey(p.data.name) === key ? p.data : null;
  }

  private remoteHolder(net: string): LockPayload | null {
    const e = this.remoteLockEntries.get(this.lockKey(net));
    return e && e.b !== this.self && e.expiresAt > Date.now() && this.remote.isLive(e.b) !== false ? e : null;
  }

  private lockInfo(p: LockPayload): LockInfo {
    return {
      name: p.name,
      holder: {
        id: remoteId(p.b, p.peer.id), name: `${cleanName(p.peer.name) ?? 'peer'}@${p.host}`, reason: p.reason,
        acquiredAt: new Date(p.acquiredAt).toISOString(), expiresAt: new Date(p.expiresAt).toISOString(),
      },
      waiters: [],
    };
  }

  locks(): LockInfo[] {
    const now = Date.now();
    return [...this.remoteLockEntries.values()].filter((p) => p.b !== this.self && p.expiresAt > now).map((p) => this.lockInfo(p));
  }

  async acquireLock(name: string, holder: { id: string; name: string }, reason: string | null, timeoutMs: number): Promise<{ granted: true } | { granted: false; lock: LockInfo }> {
    const kv = this.lockKv;
    if (!kv || this.state !== 'connected' || !this.id) return { granted: true }; // this machine only, until NATS is back
    const net = this.networkName(name);
    const key = this.lockKey(net);
    const attempt = async (): Promise<{ granted: true } | { granted: false; lock: LockInfo }> => {
      for (let i = 0; i < 5; i++) {
        const e = await kv.get(key);
        const cur = this.readLock(key, e);
        try {
          if (!cur) {
            // Free, deleted, or an entry that does not verify (a broker without our key cannot hold a lock).
            const rev = e && e.operation === 'PUT' ? await kv.update(key, this.lockPayload(net, holder, reason, Date.now()), e.revision)
              : await kv.create(key, this.lockPayload(net, holder, reason, Date.now()));
            this.held.set(key, { local: name, net, revision: rev, acquiredAt: Date.now() });
            return { granted: true };
          }
          if (cur.b === this.self) {
            // Ours already (another local peer had it, or a lease from before a restart): the local lock decided.
            const acquiredAt = cur.peer.id === holder.id ? cur.acquiredAt : Date.now();
            const rev = await kv.update(key, this.lockPayload(net, holder, reason, acquiredAt), e!.revision);
            this.held.set(key, { local: name, net, revision: rev, acquiredAt });
            return { granted: true };
          }
          if (cur.expiresAt < Date.now()) {
            // Its holder stopped refreshing (its broker vanished): remove exactly that version, then try again.
            await kv.delete(key, { previousSeq: e!.revision });
            continue;
          }
          let names = this.waitingFor.get(net);
          if (!names) this.waitingFor.set(net, (names = new Set()));
          names.add(name);
          this.remoteLockEntries.set(key, cur);
          return { granted: false, lock: this.lockInfo(cur) };
        } catch (err) {
          if (/wrong last sequence|10071|key exists/i.test((err as Error).message)) continue; // someone was faster: look again
          throw err;
        }
      }
      throw new Error('the lock changed hands too often to take it');
    };
    try {
      return await Promise.race([attempt(), sleep(timeoutMs).then(() => { throw new Error(`no answer within ${timeoutMs} ms`); })]);
    } catch (e) {
      this.log(`lock "${net.slice(0, 200)}" only held on this machine: the network did not answer (${this.describe(e)})`);
      return { granted: true };
    }
  }

  releaseLock(name: string): void {
    for (const [key, h] of this.held) {
      if (h.local !== name) continue;
      if (this.service.coord.locks().some((l) => l.name === name && l.holder)) continue; // another local peer holds it now: refreshLocks hands it over
      this.held.delete(key);
      void this.lockKv?.delete(key, { previousSeq: h.revision }).catch(() => {});
    }
  }

  /** Holders refresh their leases; a lock released here is given up on the network. */
  private async refreshLocks(): Promise<void> {
    const kv = this.lockKv;
    if (!kv || this.state !== 'connected' || !this.held.size) return;
    const local = new Map(this.service.coord.locks().map((l) => [l.name, l]));
    for (const [key, h] of [...this.held]) {
      const l = local.get(h.local);
      try {
        if (!l?.holder) {
          this.held.delete(key);
          await kv.delete(key, { previousSeq: h.revision });
          continue;
        }
        h.revision = await kv.update(key, this.lockPayload(h.net, { id: l.holder.id, name: l.holder.name }, l.holder.reason, h.acquiredAt), h.revision);
      } catch (e) {
        this.held.delete(key);
        this.log(`lost the network side of lock "${h.net.slice(0, 200)}" (${this.describe(e)})`);
      }
    }
  }

  private async watchLocks(gen: number): Promise<void> {
    {
      try {
        const since = Date.now();
        const w = await this.lockKv!.watch();
        if (gen !== this.gen) { w.stop(); return; }
        this.stops.push(() => w.stop());
        for await (const e of w) {
          if (gen !== this.gen) return;
          const before = this.remoteLockEntries.get(e.key);
          const p = e.operation === 'PUT' ? this.verifiedLock(e.key, e.value) : null;
          // Found on (re)start: a lease of ours from before, that nobody here holds now. Give it up.
          if (p && p.b === this.self && !isLive(e, since) && !this.held.has(e.key)) {
            void this.lockKv?.delete(e.key, { previousSeq: e.revision }).catch(() => {});
          }
          if (p) this.remoteLockEntries.set(e.key, p); else this.remoteLockEntries.delete(e.key);
          if (before && (!p || p.b === this.self)) {
            const names = this.waitingFor.get(before.name);
            this.waitingFor.delete(before.name);
            for (const n of names ?? []) this.service.networkLockFreed(n);
          }
          if (JSON.stringify(before ?? null) !== JSON.stringify(p)) this.service.publishCoordination();
        }
      } catch (e) {
        if (gen === this.gen) this.log(`lock watch: ${this.describe(e)}`);
      }
      if (gen === this.gen && !this.closed) { await sleep(1000); if (gen === this.gen) this.requestSetUp(); }
    }
  }
}
