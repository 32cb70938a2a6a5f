// The broker's rules, in one place: who a credential is and what it may do, how a recipient is
// resolved, what a hook event means for its session and what it answers, how messages are pushed
// and handed over, locks and claims, and what observers are told. The HTTP layer (http.ts and its
// fast path) parses a request and makes one call here; the store (store.ts) only stores.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { isAbsolute } from 'node:path';
import { SECRET_RE } from '../protocol/credentials.ts';
import {
  HUMAN_ID, HookEventName, MAX_MESSAGE_BYTES, type AckRequest, type ClaimRequest, type CommandHookResponse, type Conflict,
  type DeliveryState, type LockAcquireRequest, type Message, type Peer, type RegisterRequest, type Scope, type SendRequest,
  type UnclaimRequest, type WaitResponse, type LockInfo,
} from '../protocol/wire.ts';
import { VERSION } from '../common/config.ts';
import { gitInfo } from '../common/git.ts';
import { locksForCommand, lockName } from '../common/lock-commands.ts';
import type { z } from 'zod';
import { ApiError, forbidden, notFound, tooMany } from './errors.ts';
import { EventHub, MAX_BUFFERED, type Subscriber } from './events.ts';
import { GroupCommit } from './group-commit.ts';
import { Coordination, type AcquireResult } from './coordination.ts';
import type { RateLimiter } from './rate-limit.ts';
import { Store, type Sender } from './store.ts';
import { pathKey } from '../common/paths.ts';
import { Waiters } from './waiters.ts';
import { EDIT_TOOLS, bashCommand, parseHookInput, seenFrames, taskFromPrompt, toolFilePath } from './hook-input.ts';
import { handsOver, hookOutput, type HookPolicy } from './hook-output.ts';
import { claudeHomesOf, launchedByUs, readSessionFiles, writeInbox } from './claude-sessions.ts';
import { inboxContent } from '../protocol/framing.ts';
import { processStart } from '../common/process.ts';
import type { FederationStatus } from '../protocol/wire.ts';
import { FEDERATION_OFF, type FederationPort } from './federation/port.ts';
import type { NewMessage } from './store.ts';

/** How long a launched session may take to register before it is listed as a native one. */
const LAUNCHED_GRACE_MS = 30_000;

/** Who a request acts for, by its credential. */
export type Principal = { kind: 'user' } | { kind: 'join' } | { kind: 'session'; peerId: string };

export interface ServiceOptions {
  store: Store;
  /** The user's token and the join token (see protocol/credentials.ts). */
  secrets: { token: string; joinToken: string };
  limiter: RateLimiter;
  log?: (line: string) => void;
}

/** At most this much peer text goes out with one hook answer; the rest waits for the next. */
export const HANDOVER_BYTES = 24 * 1024;
export const HANDOVER_COUNT = 20;
/** A replay to a reconnecting stream goes in pages, and waits while its socket is this full. */
const REPLAY_PAGE = 64;
/** How long a message written into a session's inbox may take to show up in its transcript. */
export const INBOX_CONFIRM_MS = 10_000;
const REPLAY_HIGH_WATER = 256 * 1024;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SendInput { senderId: string | null; humanName: string; to: string; body: string; replyTo: number | null }

export class PeerService {
  readonly store: Store;
  readonly hub: EventHub;
  readonly coord: Coordination;
  private readonly waiters = new Waiters();
  /** Lock name → peer id → wake-up of that peer's waiting acquire (only the first in line is woken). */
  private readonly lockWaits = new Map<string, Map<string, () => void>>();
  private readonly sends: GroupCommit<SendInput, Message[]>;
  private readonly keyCache = new Map<string, string>();
  /** Messages written into a session's inbox and not yet seen in its transcript, with when. */
  private readonly inboxPending = new Map<string, Map<number, number>>();
  /** When a peer event last went out for each peer: a hook that moved only its last-seen time waits for the next. */
  private readonly lastSeenSent = new Map<string, number>();
  private readonly sealKey: Buffer;
  private readonly log: (line: string) => void;
  private lastConflicts = '[]';
  private lastLocks = '[]';
  private lastClaims = '[]';
  private livePeers: { json: string; version: number; at: number } | null = null;
  /** The other brokers of a federation (src/broker/federation), when this broker is on one. */
  private fed: FederationPort | null = null;

  constructor(private readonly o: ServiceOptions) {
    this.store = o.store;
    this.log = o.log ?? (() => {});
    this.sealKey = createHmac('sha256', o.secrets.token).update('claude-peers seal v1').digest();
    this.hub = new EventHub(this.log, (peerId, id) => this.seal(peerId, id));
    this.coord = new Coordination(o.store.db);
    // The sender is looked up inside the batch's transaction: a read outside one is a transaction of its own.
    this.sends = new GroupCommit(o.store.db, (i: SendInput) => this.sendWithin(i), (e) => e instanceof ApiError);
  }

  /** Plugs a federation in: remote peers, their messages and states, network-wide locks and conflicts. */
  attachFederation(f: FederationPort | null): void { this.fed = f; }

  federationStatus(): FederationStatus { return this.fed?.status() ?? FEDERATION_OFF; }

  // ---- credentials ---------------------------------------------------------------------------

  /** The principal a bearer credential names, or null when it names nobody. */
  principal(bearer: string | null | undefined): Principal | null {
    if (!bearer || !SECRET_RE.test(bearer)) return null;
    if (same(bearer, this.o.secrets.token)) return { kind: 'user' };
    if (same(bearer, this.o.secrets.joinToken)) return { kind: 'join' };
    const h = sha256(bearer);
    let id = this.keyCache.get(h);
    if (id === undefined) {
      id = this.store.peerIdByKeyHash(h) ?? undefined;
      if (id) this.keyCache.set(h, id);
    }
    return id ? { kind: 'session', peerId: id } : null;
  }

  /** The answer to GET /v1/proof: that this broker knows the join token, for this port and nonce. */
  proof(port: number, nonce: string): string {
    return createHmac('sha256', this.o.secrets.joinToken).update(`claude-peers broker proof v1\n${port}\n${nonce}`).digest('hex');
  }

  /** The peer a session acts as; `id` (from a path) must be that peer. */
  private self(p: Principal, id?: string): string {
    if (p.kind !== 'session') {
      throw forbidden(p.kind === 'join'
        ? 'The join token only registers a session (POST /v1/peers); act with the session key you registered.'
        : 'This is an action of a session: the user\'s token cannot act as a peer.');
    }
    if (id !== undefined && id !== p.peerId) throw forbidden(`This credential acts for peer ${p.peerId} only, not for ${id}.`);
    return p.peerId;
  }

  private user(p: Principal, what: string): void {
    if (p.kind !== 'user') throw forbidden(`${what} needs the user's token ($CLAUDE_PEERS_HOME/token): the panel and the claude-peers CLI hold it.`);
  }

  /** Whose inbox a request may acknowledge: a session its own, the user the human's. */
  private inboxOwner(p: Principal, id: string): string {
    if (p.kind === 'user') {
      if (id !== HUMAN_ID) throw forbidden(`The user's token reads the human's inbox (/v1/peers/${HUMAN_ID}/…) only; a session's inbox is its own.`);
      return id;
    }
    return this.self(p, id);
  }

  /** The key a rate limit counts a request against. */
  rateKey(p: Principal | null): string | null {
    return p?.kind === 'session' ? p.peerId : p?.kind === 'user' ? HUMAN_ID : null;
  }

  /** What proves that a channel push with this message id really came from us to this peer. */
  seal(peerId: string, id: number): string {
    return createHmac('sha256', this.sealKey).update(`${peerId}:${id}`).digest('hex').slice(0, 32);
  }

  // ---- peers -------------------------------------------------------------------------------

  register(p: Principal, r: RegisterRequest): Peer {
    if (p.kind === 'user') throw forbidden('Sessions register with the join token ($CLAUDE_PEERS_HOME/join-token) and their own session key.');
    const keyHash = sha256(r.sessionKey);
    if (p.kind === 'session' && this.store.peerIdByKeyHash(keyHash) !== p.peerId) throw forbidden('A session re-registers with its own session key only.');
    const { sessionKey: _key, ...rest } = r;
    if (rest.claudeHome && !isAbsolute(rest.claudeHome)) rest.claudeHome = null;
    const peer = this.store.upsertPeer({ ...rest, keyHash });
    this.keyCache.set(keyHash, peer.id);
    this.hub.broadcast({ type: 'peer', peer });
    return peer;
  }

  heartbeat(p: Principal, id: string): { peer: Peer } {
    return { peer: this.store.heartbeat(this.self(p, id)) };
  }

  setSummary(p: Principal, id: string, summary: string): Peer {
    const peer = this.store.setSummary(this.self(p, id), summary);
    this.hub.broadcast({ type: 'peer', peer });
    return peer;
  }

  peer(p: Principal, id: string): Peer {
    if (p.kind === 'join') throw forbidden('Register first (POST /v1/peers), then act with your session key.');
    const peer = this.store.peer(id) ?? this.fed?.peer(id);
    if (!peer) throw notFound('unknown_peer', `No peer with id ${id}.`);
    return peer;
  }

  /**
   * The live list as JSON, read on every list_peers and by every observer: it changes only when a
   * peer event is announced (heartbeats move lastSeen alone, so up to a second of staleness there).
   */
  listPeersJson(p: Principal, all: boolean, network = false): string {
    if (p.kind === 'join') throw forbidden('Register first (POST /v1/peers), then act with your session key.');
    if (network) {
      // Every broker's peers, each with its repository's identity (what "repo" means across hosts).
      const local = this.store.listPeers(all).map((q) => ({ ...q, repo: this.fed?.repoOf(q.gitRoot) ?? null }));
      return JSON.stringify({ peers: [...local, ...(this.fed?.livePeers() ?? [])] });
    }
    if (all) return JSON.stringify({ peers: this.store.listPeers(true) });
    const now = Date.now();
    if (!this.livePeers || this.livePeers.version !== this.hub.peerVersion || now - this.livePeers.at > 1000) {
      this.livePeers = { json: JSON.stringify({ peers: this.store.listPeers() }), version: this.hub.peerVersion, at: now };
    }
    return this.livePeers.json;
  }

  // ---- messages ----------------------------------------------------------------------------

  async send(p: Principal, r: z.infer<typeof SendRequest>): Promise<Message[]> {
    const bytes = Buffer.byteLength(r.body);
    if (bytes > MAX_MESSAGE_BYTES) {
      throw new ApiError(413, 'message_too_large', `The message is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES}. Shorten it, or put the details in a file and send its path.`);
    }
    let senderId: string | null = null;
    if (p.kind === 'session') senderId = p.peerId;
    else if (p.kind !== 'user') throw forbidden('Register first (POST /v1/peers), then send with your session key.');
    const who = senderId ?? HUMAN_ID;
    const wait = this.o.limiter.take('messagesPerMin', who);
    if (wait) throw tooMany(wait, 'messages', this.o.limiter.limit('messagesPerMin'));
    const humanName = r.via === 'terminal' ? 'human (terminal)' : r.via === 'panel' ? 'human (VS Code)' : 'human';
    const messages = await this.sends.submit({ senderId, humanName, to: r.to, body: r.body, replyTo: r.replyTo ?? null });
    this.announce(messages);
    this.fed?.kick();
    return messages;
  }

  /** After the commit of new messages (sent here, or come from another broker): pushes, wake-ups and observers. */
  announce(messages: Message[]): void {
    this.hub.messages(messages);
    for (const m of messages) if (!this.deliverDirect(m)) this.waiters.wake(m.toId, 'message');
  }

  /**
   * A message from another broker's peer or human (inside the federation's transaction): stored
   * for those of its recipients that are this broker's (ids here, or the human), once, with its
   * sender's host. The federation has checked who signed it; the framing says where it came from.
   */
  acceptRemote(m: { from: NonNullable<NewMessage['remote']>; to: string[]; body: string; replyTo: number | null; broadcast: Scope | null }): Message[] {
    const recipients: { id: string; name: string }[] = [];
    for (const id of new Set(m.to)) {
      const ref = id === HUMAN_ID ? { id: HUMAN_ID, name: HUMAN_ID } : this.store.peerRef(id);
      if (ref && ref.id === id) recipients.push(ref);
    }
    if (!recipients.length) return [];
    const replyTo = m.replyTo !== null && this.store.messageExists(m.replyTo) ? m.replyTo : null;
    return this.store.insertMessage({ sender: null, remote: m.from, recipients, broadcast: m.broadcast, body: m.body, replyTo });
  }

  /**
   * Hands a message straight into the recipient's Claude Code inbox when that is the way to reach
   * it: a native session (it has no other), or one of ours that is idle at its prompt with no
   * channel push to start its turn and not in bypass mode (where Claude Code holds inbox messages
   * behind a dialog). True when it took the message; when the write fails, the idle waiter does.
   */
  private deliverDirect(m: Message): boolean {
    const t = this.store.inboxTarget(m.toId);
    if (!t?.socket || t.gone) return false;
    const native = t.kind === 'native';
    if (!native && (t.status !== 'idle' || t.channels || t.permissionMode === 'bypassPermissions')) return false;
    const text = inboxContent(m, !native, this.store.toolPrefix(m.toId) ?? undefined, this.seal(m.toId, m.id));
    void writeInbox(t.socket, text).then((ok) => {
      if (ok) {
        // Written is not read: Claude Code may hold it (bypass mode asks first) or refuse inbound
        // messages. For ours, the next hook finds its seal in the transcript and marks it read; if
        // it has not by INBOX_CONFIRM_MS, the idle waiter hands it over instead.
        this.markState(m.toId, [m.id], 'delivered');
        if (!native) {
          let pending = this.inboxPending.get(m.toId);
          if (!pending) this.inboxPending.set(m.toId, (pending = new Map()));
          pending.set(m.id, Date.now());
          setTimeout(() => this.waiters.wake(m.toId, 'message'), INBOX_CONFIRM_MS + 50).unref();
        }
      } else {
        this.log(`the inbox of ${m.toName} (${t.socket}) did not take message #${m.id}; ${native ? 'it stays queued' : 'waking the session instead'}`);
        if (!native) this.waiters.wake(m.toId, 'message');
      }
    });
    return true;
  }

  /**
   * One send, for a caller that holds the transaction (the group commit). Every refusal is thrown
   * before the first write, so a refused send leaves nothing behind and needs no savepoint.
   */
  sendWithin(i: SendInput): Message[] {
    const sender = i.senderId ? this.store.sender(i.senderId) : null;
    if (i.senderId && !sender) throw notFound('unknown_peer', `Sender ${i.senderId} is not registered: register again (POST /v1/peers).`);
    const { recipients, broadcast } = this.resolveRecipients(i.to, sender);
    if (!recipients.length) {
      throw notFound('no_recipients', `Nobody else is in scope "${i.to}" right now, so nothing was sent. list_peers shows who is around.`);
    }
    if (i.replyTo !== null && !this.store.messageExists(i.replyTo)) {
      throw notFound('unknown_message', `reply_to ${i.replyTo} names no message; check the id in check_messages.`);
    }
    const messages = this.store.insertMessage({ sender, humanName: i.humanName, recipients, broadcast, body: i.body, replyTo: i.replyTo });
    this.fed?.queueMessages(messages); // the envelopes to other brokers commit with the send
    return messages;
  }

  /**
   * `to`: a peer id or name, "human", or a scope relative to the sender ("machine"; "directory":
   * the same folder; "repo": the same repository) or "under:<folder>" (every peer below it).
   */
  resolveRecipients(to: string, sender: Sender | null): { recipients: { id: string; name: string }[]; broadcast: Scope | null } {
    const t = to.trim();
    if (t.toLowerCase() === HUMAN_ID) {
      if (!sender) throw new ApiError(400, 'bad_recipient', 'The human cannot message the human: name a peer, or "machine".');
      return { recipients: [{ id: HUMAN_ID, name: HUMAN_ID }], broadcast: null };
    }
    const scope = t === 'machine' || t === 'directory' || t === 'repo' || t === 'network' ? (t as Scope) : null;
    if (scope || t.startsWith('under:')) {
      const live = this.store.listPeers().filter((q) => q.id !== sender?.id);
      let targets: Peer[];
      if (scope === 'machine') targets = live;
      else if (scope === 'network') targets = [...live, ...(this.fed?.livePeers() ?? [])];
      else if (scope) {
        if (!sender) throw new ApiError(400, 'bad_scope', `Scope "${scope}" is relative to the sender; a human sender must use "machine", "network" or "under:<folder>".`);
        if (scope === 'directory') targets = live.filter((q) => q.cwd === sender.cwd);
        else {
          targets = live.filter((q) => (q.gitRoot ?? q.cwd) === (sender.gitRoot ?? sender.cwd));
          // On other hosts the same repository is the same remote (two clones are one repo).
          const repo = this.fed?.repoOf(sender.gitRoot);
          if (repo) targets.push(...this.fed!.livePeers().filter((q) => q.repo === repo));
        }
      } else {
        const dir = t.slice('under:'.length).replace(/[\\/]+$/, '');
        targets = live.filter((q) => q.cwd === dir || q.cwd.startsWith(dir + '/') || q.cwd.startsWith(dir + '\\'));
      }
      return { recipients: targets.map((q) => ({ id: q.id, name: q.name })), broadcast: scope ?? 'directory' };
    }
    const ref = this.store.peerRef(t);
    if (ref) return { recipients: [ref], broadcast: null };
    const remote = this.fed?.resolve(t);
    if (remote && 'ambiguous' in remote) {
      throw notFound('ambiguous_recipient', `Several peers on the network are called "${t}": ${remote.ambiguous.join(', ')}. Name one as name@host, or by its id.`);
    }
    if (remote) return { recipients: [remote], broadcast: null };
    const names = [...this.store.listPeers().map((q) => q.name), ...(this.fed?.livePeers() ?? []).map((q) => `${q.name}@${q.host}`)].join(', ') || 'none';
    throw notFound('unknown_recipient', `No peer called "${t}". Live peers: ${names}. Use list_peers to see them, or "machine" / "directory" / "repo"${this.fed ? ' / "network"' : ''} to broadcast.`);
  }

  /** An inbox: a session reads its own; the user (who sees every message in the panel anyway) any. */
  inbox(p: Principal, id: string, all: boolean): Message[] {
    const owner = p.kind === 'user' ? id : this.inboxOwner(p, id);
    return this.store.inbox(owner, all ? ['queued', 'delivered', 'read'] : ['queued', 'delivered']);
  }

  ack(p: Principal, id: string, r: z.infer<typeof AckRequest>): { changed: number[] } {
    const owner = this.inboxOwner(p, id);
    return { changed: this.markState(owner, r.ids, r.state) };
  }

  /** Moves deliveries forward and tells observers and the recipient's own server (its unread line). */
  markState(owner: string, ids: number[], state: 'delivered' | 'read'): number[] {
    const fed = this.fed;
    // A message from another broker: its new state goes back to it, committed with the change.
    const changed = fed
      ? this.store.db.transaction(() => { const c = this.store.setState(owner, ids, state); fed.queueStates(owner, c, state); return c; })
      : this.store.setState(owner, ids, state);
    if (state === 'read') for (const id of ids) this.inboxPending.get(owner)?.delete(id);
    if (changed.length) { this.hub.broadcast({ type: 'message_state', ids: changed, toId: owner, state }, owner); fed?.kick(); }
    return changed;
  }

  recentMessages(p: Principal, limit: number, before?: number): Message[] {
    this.user(p, 'Reading every session\'s messages');
    return this.store.recentMessages(limit, before);
  }

  // ---- hooks -------------------------------------------------------------------------------

  /**
   * One Claude Code hook event of a session, as Claude Code wrote it. Returns the hook output and
   * the ids of the messages it hands over; the caller marks those read once the output is out
   * (an HTTP hook's response written, or the command hook's stdout written whole).
   */
  async hook(p: Principal, eventName: string, raw: unknown, policy: { conflicts: HookPolicy; locks: HookPolicy }): Promise<CommandHookResponse> {
    const peerId = this.self(p);
    const input = parseHookInput(raw);
    const ev = HookEventName.safeParse(eventName);
    if (!ev.success) return { output: null, handed: [], peer: peerId };
    const event = ev.data;
    const before = this.store.peer(peerId)!;
    const cwd = input.cwd && isAbsolute(input.cwd) ? input.cwd : before.cwd;
    const git = gitInfo(cwd);
    const status = event === 'Stop' ? 'idle'
      : event === 'UserPromptSubmit' || event === 'PreToolUse' || event === 'PostToolUse' ? 'working'
      : event === 'Notification' && input.notification_type === 'permission_prompt' ? 'waiting'
      : event === 'Notification' && input.notification_type === 'idle_prompt' ? 'idle'
      : undefined;
    const filePath = input.tool_name && EDIT_TOOLS.has(input.tool_name) ? toolFilePath(input, cwd) : null;
    // Channel frames count as seen only when they carry our seal for this peer: a frame copied
    // into a summary or a message by another peer names an id but cannot forge the seal.
    const seen = event !== 'PreToolUse' && this.store.inboxCount(peerId, ['delivered']) > 0
      ? seenFrames(input).filter((f) => f.seal.length === 32 && same(f.seal, this.seal(peerId, f.id))).map((f) => f.id)
      : [];

    let read: number[] = [];
    const peer = this.store.db.transaction(() => {
      const updated = this.store.updateSession(peerId, { cwd, gitRoot: git.root, branch: git.branch, sessionId: input.session_id ?? null, status });
      if (event === 'UserPromptSubmit') {
        const task = taskFromPrompt(input.prompt);
        if (task) this.store.setTask(peerId, task);
      }
      if (event === 'SessionEnd') this.store.markGone(peerId);
      if (input.permission_mode && /^[A-Za-z]{1,40}$/.test(input.permission_mode)) this.store.setPermissionMode(peerId, input.permission_mode);
      if (event === 'PostToolUse' && filePath) this.store.touchFile(peerId, filePath, input.tool_name ?? 'Edit');
      if (seen.length) {
        read = this.store.setState(peerId, seen, 'read');
        this.fed?.queueStates(peerId, read, 'read');
        for (const id of read) this.inboxPending.get(peerId)?.delete(id);
      }
      return event === 'SessionEnd' || event === 'UserPromptSubmit' || event === 'PostToolUse' ? this.store.peer(peerId)! : updated;
    });
    // A hook that changed only when the peer was last seen (a Read's PostToolUse) wakes the
    // observers at most every LAST_SEEN_EVERY_MS, so panels still see "working · now".
    const now = Date.now();
    if (changedVisibly(before, peer) || now - (this.lastSeenSent.get(peerId) ?? 0) >= LAST_SEEN_EVERY_MS) {
      this.lastSeenSent.set(peerId, now);
      this.hub.broadcast({ type: 'peer', peer });
    }
    if (event === 'SessionEnd') this.lastSeenSent.delete(peerId);
    if (read.length) { this.hub.broadcast({ type: 'message_state', ids: read, toId: peerId, state: 'read' }, peerId); this.fed?.kick(); }
    // The session is working again: an idle-rewake waiter has nothing to do.
    if (event === 'UserPromptSubmit' || event === 'PreToolUse' || event === 'SessionEnd') this.waiters.wake(peerId, 'busy');

    const stopHookActive = input.stop_hook_active === true;
    const wantsMessages = event === 'SessionStart' || event === 'UserPromptSubmit' || event === 'PostToolUse' || (event === 'Stop' && !stopHookActive);
    const { messages, more } = wantsMessages ? this.handover(peerId) : { messages: [], more: 0 };

    const conflicts: Conflict[] = event === 'PreToolUse' && filePath
      ? [...this.store.othersOnFile(peerId, filePath), ...this.coord.claimsOn(filePath, peerId), ...(this.fed?.conflictsOn(peer, filePath) ?? [])]
      : [];
    if (event === 'PostToolUse' && filePath) this.publishConflicts();

    let lockBlocked;
    const command = bashCommand(input);
    if (command && (event === 'PreToolUse' || event === 'PostToolUse')) {
      if (event === 'PreToolUse') {
        // Take the locks this command needs for its duration; report the first one held elsewhere.
        const repo = peer.gitRoot ?? peer.cwd;
        for (const kind of locksForCommand(command)) {
          const name = lockName(kind, repo);
          const reason = `auto: ${command.slice(0, 120)}`;
          let r: AcquireResult = this.coord.acquire(peerId, name, 10 * 60_000, reason);
          // Network-wide while on a federation (a hook has little time: the network answers fast, or this machine decides).
          if (r.granted && this.fed) {
            const net = await this.fed.acquireLock(name, { id: peerId, name: peer.name }, reason, 400);
            if (!net.granted) r = { granted: false, lock: net.lock, position: 1 };
          }
          if (!r.granted) {
            this.coord.release(name, peerId); // the hook does not wait in line
            lockBlocked = r.lock;
            this.releaseAuto(peerId);
            break;
          }
        }
      } else {
        this.releaseAuto(peerId);
      }
      this.publishCoordination();
    }
    const facts = {
      event, peer, messages, more, stopHookActive, conflicts, lockBlocked, conflictPolicy: policy.conflicts, lockPolicy: policy.locks,
      toolPrefix: this.store.toolPrefix(peerId) ?? undefined,
      ...(event === 'SessionStart' ? {
        others: this.store.listPeers().filter((q) => q.id !== peerId),
        locks: this.coord.locks().filter((l) => l.holder?.id === peerId || l.waiters.some((w) => w.id === peerId)),
        claims: this.coord.claims().filter((c) => c.peerId === peerId),
      } : {}),
    };
    return { output: hookOutput(facts), handed: handsOver(facts) ? messages.map((m) => m.id) : [], peer: peerId };
  }

  /** The unread messages one hook may hand over (capped in bytes and count), and how many wait beyond them. */
  handover(peerId: string): { messages: Message[]; more: number } {
    const unread = this.store.inbox(peerId, ['queued', 'delivered'], HANDOVER_COUNT + 1);
    const messages: Message[] = [];
    let bytes = 0;
    for (const m of unread) {
      const b = Buffer.byteLength(m.body);
      // A message is never cut: the first always goes, the rest while they fit.
      if (messages.length && (bytes + b > HANDOVER_BYTES || messages.length >= HANDOVER_COUNT)) break;
      messages.push(m);
      bytes += b;
    }
    const total = unread.length > HANDOVER_COUNT ? this.store.inboxCount(peerId) : unread.length;
    return { messages, more: total - messages.length };
  }

  /** The asyncRewake waiter's long poll: until a message arrives, the session gets busy, or time is up. */
  async wait(p: Principal, waitMs: number, onClose: (fn: () => void) => void): Promise<WaitResponse> {
    const peerId = this.self(p);
    const found = this.store.peer(peerId);
    const answer = (reason: WaitResponse['reason'], peer: Peer | null): WaitResponse =>
      ({ reason, peer, messages: reason === 'message' && peer ? this.handover(peer.id).messages : [] });
    if (!found) return answer('unknown_peer', null);
    // What the waiter should wake the session for: unread messages, but not those just written
    // into its inbox (that starts the turn by itself) unless they were not seen in time.
    const waiting = () => {
      const pending = this.inboxPending.get(peerId);
      const now = Date.now();
      return this.store.inbox(peerId, ['queued', 'delivered'], 50).some((m) => !(now - (pending?.get(m.id) ?? -Infinity) < INBOX_CONFIRM_MS));
    };
    if (waiting()) return answer('message', found);
    const deadline = Date.now() + waitMs;
    let closed = false;
    for (;;) {
      const w = this.waiters.wait(peerId, Math.max(0, deadline - Date.now()));
      onClose(() => { closed = true; w.cancel(); });
      const reason = await w.done;
      if (reason === 'message' && !waiting() && !closed && Date.now() < deadline) continue;
      return answer(reason, this.store.peer(peerId));
    }
  }

  // ---- coordination ------------------------------------------------------------------------

  /** Edit/edit conflicts, plus edits of files another live peer has claimed. */
  conflicts(): Conflict[] {
    const byKey = new Map(this.store.conflicts().map((c) => [pathKey(c.path), c]));
    // One claims query for all touches: per touch it scanned every live peer (O(peers × touches)).
    const claims = this.coord.claims();
    for (const t of claims.length ? this.store.recentTouches() : []) {
      for (const cc of this.coord.claimsOn(t.path, t.peerId, claims)) {
        const key = pathKey(t.path);
        const c = byKey.get(key) ?? { path: t.path, peers: [] };
        const add = [{ id: t.peerId, name: t.peerName, at: new Date(t.at).toISOString(), how: 'edit' as const }, ...cc.peers];
        for (const q of add) if (!c.peers.some((x) => x.id === q.id && x.how === q.how)) c.peers.push(q);
        byKey.set(key, c);
      }
    }
    // Edits of the same file of the same repository on other hosts.
    if (this.fed) {
      for (const rc of this.fed.conflicts(this.store.recentTouches(), this.store.listPeers())) {
        const key = pathKey(rc.path);
        const c = byKey.get(key) ?? { path: rc.path, peers: [] };
        for (const q of rc.peers) if (!c.peers.some((x) => x.id === q.id && x.how === q.how)) c.peers.push(q);
        byKey.set(key, c);
      }
    }
    return [...byKey.values()];
  }

  /** Tells observers when the set of conflicting files changed. */
  publishConflicts(): Conflict[] {
    const conflicts = this.conflicts();
    const json = JSON.stringify(conflicts);
    if (json !== this.lastConflicts) {
      this.lastConflicts = json;
      this.hub.broadcast({ type: 'conflicts', conflicts });
    }
    return conflicts;
  }

  /** Tells observers about locks and claims when they changed. */
  publishCoordination(): void {
    const locks = this.allLocks();
    const lj = JSON.stringify(locks);
    if (lj !== this.lastLocks) { this.lastLocks = lj; this.hub.broadcast({ type: 'locks', locks }); }
    const claims = this.coord.claims();
    const cj = JSON.stringify(claims);
    if (cj !== this.lastClaims) { this.lastClaims = cj; this.hub.broadcast({ type: 'claims', claims }); }
  }

  locks(p: Principal) {
    if (p.kind === 'join') throw forbidden('Register first (POST /v1/peers), then act with your session key.');
    this.cleanupCoordination();
    return this.allLocks();
  }

  /** This machine's locks, and those peers of other brokers hold. */
  private allLocks(): LockInfo[] {
    const local = this.coord.locks();
    return this.fed ? [...local, ...this.fed.locks()] : local;
  }

  claims(p: Principal) {
    if (p.kind === 'join') throw forbidden('Register first (POST /v1/peers), then act with your session key.');
    return this.coord.claims();
  }

  private livePeer(id: string): Peer {
    const peer = this.store.peer(id);
    if (!peer || peer.status === 'gone') throw notFound('unknown_peer', `No live peer with id ${id}: register again.`);
    return peer;
  }

  /**
   * Takes a lock, or waits in line for it up to waitMs: a waiter sleeps until the lock is released
   * (only the first in line is woken), its holder's lease runs out, or its own place needs
   * refreshing, instead of retrying on a timer (100 waiters used to cost the broker seconds).
   */
  async acquire(p: Principal, name: string, r: z.infer<typeof LockAcquireRequest>, closed: () => boolean): Promise<AcquireResult> {
    const peerId = this.self(p);
    this.livePeer(peerId);
    const deadline = Date.now() + r.waitMs;
    const take = async (): Promise<AcquireResult> => {
      const local = this.coord.acquire(peerId, name, r.ttlMs, r.reason ?? null);
      if (!local.granted || !this.fed) return local;
      // Granted here; on a federation, the lock is also the network's (another broker's peer may hold it).
      const net = await this.fed.acquireLock(name, { id: peerId, name: local.lock.holder?.name ?? peerId }, r.reason ?? null, 2000);
      if (net.granted) return local;
      this.coord.release(name, peerId);
      return { granted: false, lock: net.lock, position: 1 };
    };
    let out = await take();
    this.publishCoordination();
    while (!out.granted && Date.now() < deadline && !closed()) {
      const expiry = out.lock.holder ? Date.parse(out.lock.holder.expiresAt) + 5 : Infinity;
      await this.lockWait(name, peerId, Math.min(deadline, expiry, Date.now() + 30_000) - Date.now());
      if (closed()) break;
      out = await take();
    }
    if (!out.granted && r.waitMs > 0) { this.coord.release(name, peerId); this.lockReleased(name); } // stop waiting: leave the line
    this.publishCoordination();
    return out;
  }

  private lockWait(name: string, peerId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let line = this.lockWaits.get(name);
      if (!line) this.lockWaits.set(name, (line = new Map()));
      const done = () => {
        clearTimeout(timer);
        const l = this.lockWaits.get(name);
        if (l?.get(peerId) === done) l.delete(peerId);
        if (l && !l.size) this.lockWaits.delete(name);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      line.get(peerId)?.();
      line.set(peerId, done);
    });
  }

  /** After a lock was released: the first peer waiting for it tries again. */
  private lockReleased(name: string): void {
    this.fed?.releaseLock(name);
    this.networkLockFreed(name);
  }

  /** A lock may be free now (released here, or by another broker's peer): the first peer waiting tries again. */
  networkLockFreed(name: string): void {
    const line = this.lockWaits.get(name);
    if (!line) return;
    const first = this.coord.locks().find((l) => l.name === name)?.waiters.find((w) => line.has(w.id));
    (first ? line.get(first.id) : line.values().next().value)?.();
  }

  private releaseAuto(peerId: string): void {
    for (const name of this.coord.releaseAuto(peerId)) this.lockReleased(name);
  }

  release(p: Principal, name: string, force: boolean): { released: boolean } {
    let released: boolean;
    if (force) {
      this.user(p, 'Breaking someone else\'s lock');
      released = this.coord.release(name, null, true);
    } else {
      released = this.coord.release(name, this.self(p), false);
    }
    if (released) this.lockReleased(name);
    this.publishCoordination();
    return { released };
  }

  claim(p: Principal, r: z.infer<typeof ClaimRequest>) {
    const peer = this.livePeer(this.self(p));
    const claims = this.coord.claim(peer.id, absolutise(peer.cwd, r.paths), r.reason ?? null, r.ttlMs);
    this.publishCoordination();
    this.publishConflicts();
    return { claims };
  }

  unclaim(p: Principal, r: z.infer<typeof UnclaimRequest>) {
    const peer = this.livePeer(this.self(p));
    const released = this.coord.unclaim(peer.id, r.paths ? absolutise(peer.cwd, r.paths) : null);
    this.publishCoordination();
    this.publishConflicts();
    return { released };
  }

  private cleanupCoordination(): void {
    if (this.coord.cleanup()) for (const name of [...this.lockWaits.keys()]) this.lockReleased(name);
  }

  // ---- events ------------------------------------------------------------------------------

  /**
   * Opens a stream: a session's own inbox, or (the user) everything. A session's stream first
   * gets every message still queued for it, oldest first, in pages that wait for the socket to
   * drain (a session that was away for 10,000 messages gets all of them, at the pace it reads).
   */
  openStream(p: Principal, res: ServerResponse, peerId: string | null): void {
    if (peerId === null) this.user(p, 'Following every session\'s events');
    else this.self(p, peerId);
    const sub = this.hub.subscribe(res, peerId);
    this.hub.send(sub, { type: 'hello', brokerPid: process.pid, version: VERSION });
    if (peerId) {
      sub.replayingAfter = 0;
      this.replay(sub, peerId);
    }
  }

  private replay(sub: Subscriber, peerId: string): void {
    if (sub.res.destroyed || sub.replayingAfter === null) return;
    const page = this.store.inbox(peerId, ['queued'], REPLAY_PAGE, sub.replayingAfter);
    for (const m of page) this.hub.sendMessage(sub, m, true);
    if (page.length) sub.replayingAfter = page[page.length - 1].id;
    this.hub.flush();
    if (page.length < REPLAY_PAGE) { sub.replayingAfter = null; return; } // caught up: live from here on
    if (sub.res.writableLength > REPLAY_HIGH_WATER && sub.res.writableLength <= MAX_BUFFERED) sub.res.once('drain', () => this.replay(sub, peerId));
    else setImmediate(() => this.replay(sub, peerId));
  }

  // ---- upkeep ------------------------------------------------------------------------------

  /** A liveness sweep: peers whose process ended or that went silent are gone; what they held is dropped. */
  sweep(alive: (pid: number) => boolean): Peer[] {
    this.scanClaudeSessions(alive);
    const gone = this.store.sweep(alive, (id) => this.hub.connected(id));
    for (const peer of gone) { this.lastSeenSent.delete(peer.id); this.hub.broadcast({ type: 'peer_gone', peer }); }
    this.cleanupCoordination();
    this.publishCoordination();
    this.publishConflicts();
    return gone;
  }

  /**
   * Reads Claude Code's session files (the default home and every home our peers named): each of
   * ours gets its status and inbox socket from it, every other live session appears as a native peer.
   */
  scanClaudeSessions(alive: (pid: number) => boolean): void {
    const enrolled = this.store.enrolledByPid();
    const homes = new Set([...claudeHomesOf(process.env), ...[...enrolled.values()].map((e) => e.claudeHome).filter((h): h is string => !!h)]);
    for (const home of [...homes].slice(0, 100)) {
      for (const f of readSessionFiles(home)) {
        if (!alive(f.pid)) continue;
        if (f.procStart && processStart(f.pid) !== null && processStart(f.pid) !== f.procStart) continue; // a reused pid
        const ours = enrolled.get(f.pid);
        if (ours) {
          const changed = this.store.syncFromSessionFile(ours.id, f.status, f.socket);
          if (changed) this.hub.broadcast({ type: 'peer', peer: changed });
          continue;
        }
        // One of ours that has not registered yet: not a native session, unless it never does.
        if (this.registersSoon(f.pid)) continue;
        const git = gitInfo(f.cwd);
        const r = this.store.upsertNative({
          pid: f.pid, pidStart: processStart(f.pid), sessionId: f.sessionId, cwd: f.cwd, gitRoot: git.root, branch: git.branch,
          name: f.name, status: f.status ?? 'idle', socket: f.socket,
        });
        if (r?.changed) this.hub.broadcast({ type: 'peer', peer: r.peer });
      }
    }
  }

  /** Launched sessions seen in a session file before they registered: pid → when first seen. */
  private readonly launchedSeen = new Map<number, number>();

  private registersSoon(pid: number): boolean {
    if (!launchedByUs(pid)) return false;
    const now = Date.now();
    if (this.launchedSeen.size > 1000) this.launchedSeen.clear();
    const first = this.launchedSeen.get(pid) ?? now;
    this.launchedSeen.set(pid, first);
    return now - first < LAUNCHED_GRACE_MS;
  }

  close(): void {
    this.waiters.close();
    for (const line of this.lockWaits.values()) for (const wake of line.values()) wake();
    this.hub.close();
  }
}

/** Claims name files relative to the claiming peer's working directory unless absolute. */
function absolutise(cwd: string, paths: string[]): string[] {
  const base = cwd.replace(/[\\/]+$/, '');
  return paths.map((p) => (/^([A-Za-z]:)?[\\/]/.test(p) ? p : `${base}/${p.replace(/^\.\//, '')}`));
}

export type { DeliveryState };

const LAST_SEEN_EVERY_MS = 10_000;

function changedVisibly(a: Peer, b: Peer): boolean {
  const { lastSeen: _a, ...x } = a;
  const { lastSeen: _b, ...y } = b;
  return JSON.stringify(x) !== JSON.stringify(y);
}
