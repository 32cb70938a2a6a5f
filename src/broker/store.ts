// The registry: peers, messages and their deliveries, file activity. It only stores: who may do
// what, and what an event means, are decided by the service (service.ts). Synchronous SQLite
// calls, every write in one transaction, statements prepared once (the driver adapter caches them).
import { randomBytes } from 'node:crypto';
import type { Database } from './sqlite.ts';
import { pickName } from './names.ts';
import { ApiError } from './errors.ts';
import { pathKey } from '../common/paths.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import {
  HUMAN_ID, type Conflict, type DeliveryState, type FileTouch, type Message,
  type Peer, type PeerStatus, type RegisterRequest, type Scope,
} from '../protocol/wire.ts';


interface PeerRow {
  id: string; name: string; pid: number; pid_start: string | null; session_id: string | null;
  cwd: string; git_root: string | null; branch: string | null; tty: string | null;
  terminal_id: string | null; summary: string | null; task: string | null; status: string;
  channels: number; registered_at: number; last_seen: number; gone: number; key_hash: string | null; tool_prefix: string | null;
  kind: string; inbox_socket: string | null; permission_mode: string | null; claude_home: string | null;
}
interface MessageRow {
  id: number; from_id: string; from_name: string; from_kind: string; from_cwd: string | null;
  from_repo: string | null; body: string; reply_to: number | null; broadcast: string | null;
  sent_at: number; to_id: string; to_name: string; state: string; from_host?: string | null;
}

const FILES_PER_PEER = 20;
const iso = (ms: number) => new Date(ms).toISOString();

/** What a send needs of its sender (a whole Peer will do). */
export type Sender = Pick<Peer, 'id' | 'name' | 'cwd' | 'gitRoot' | 'lastSeen'>;

/** A message to store: its sender (null: the human, labelled `humanName`), resolved recipients and text. */
export interface NewMessage {
  sender: Sender | null;
  humanName?: string;
  recipients: { id: string; name: string }[];
  broadcast: Scope | null;
  body: string;
  replyTo: number | null;
  /** A sender on another broker of the federation, as that broker named it (instead of `sender`). */
  remote?: { id: string; name: string; kind: Message['fromKind']; cwd: string | null; repo: string | null; host: string; sentAt?: number };
}

/** What registration stores of a session; `keyHash` binds its credential to the peer. */
export type PeerRecord = Omit<RegisterRequest, 'sessionKey'> & { keyHash: string; status?: PeerStatus };

export interface StoreOptions {
  /** How long a peer may go without a heartbeat before it counts as gone. */
  ttlMs: number;
  /** Two peers' edits of one file count as a conflict when both fall within this window. */
  conflictWindowMs: number;
  now?: () => number;
}

export class Store {
  private readonly now: () => number;

  constructor(readonly db: Database, readonly opts: StoreOptions) {
    this.now = opts.now ?? Date.now;
    migrate(db, MIGRATIONS);
  }

  // ---- peers -------------------------------------------------------------------------------

  /**
   * Creates or refreshes the peer of a session. The session's key is the key: the MCP server and
   * every hook of one session share it, across /clear, MCP restarts and broker restarts, so the
   * peer keeps its id, name and inbox. A live peer of the same claude process (pid and start time)
   * under another key is not taken over: that would let one session speak as another.
   */
  upsertPeer(r: PeerRecord): Peer {
    return this.db.transaction(() => {
      const now = this.now();
      const byKey = this.db.prepare('SELECT * FROM peers WHERE key_hash = ?').get<PeerRow>(r.keyHash);
      if (byKey && !byKey.gone && byKey.pid !== r.pid) {
        throw new ApiError(409, 'session_taken', `This session credential belongs to claude process ${byKey.pid}; it cannot register process ${r.pid}.`);
      }
      const byPid = byKey ? undefined : this.findRowByPid(r.pid, r.pidStart ?? null);
      if (byPid && !byPid.gone && byPid.key_hash && byPid.key_hash !== r.keyHash) {
        throw new ApiError(409, 'session_taken', `The claude process ${r.pid} is already on the network under another session credential; a second one is refused. ` +
          'Restart that claude session if its credential was lost.');
      }
      const row = byKey ?? byPid;
      if (row) {
        this.db.prepare(
          `UPDATE peers SET pid = ?, pid_start = COALESCE(?, pid_start), session_id = COALESCE(?, session_id), cwd = ?,
             git_root = ?, branch = ?, tty = COALESCE(?, tty), terminal_id = COALESCE(?, terminal_id),
             channels = COALESCE(?, channels), status = ?, last_seen = ?, gone = 0, key_hash = ?,
             tool_prefix = COALESCE(?, tool_prefix), kind = 'peer', claude_home = COALESCE(?, claude_home) WHERE id = ?`,
        ).run(
          r.pid, r.pidStart ?? null, r.sessionId ?? null, r.cwd, r.gitRoot ?? null, r.branch ?? null, r.tty ?? null,
          r.terminalId ?? null, r.channels === undefined ? null : Number(r.channels),
          r.status ?? (row.gone ? 'idle' : row.status), now, r.keyHash, r.toolPrefix ?? null, r.claudeHome ?? null, row.id,
        );
        // A peer coming back may collide with a name handed out while it was gone.
        if (row.gone && this.liveNames(row.id).has(row.name)) {
          this.db.prepare('UPDATE peers SET name = ? WHERE id = ?').run(pickName(this.liveNames(row.id), r.preferredName), row.id);
        }
        return this.peer(row.id)!;
      }
      const id = `p_${randomBytes(6).toString('hex')}`;
      const name = pickName(this.liveNames(null), r.preferredName);
      this.db.prepare(
        `INSERT INTO peers (id, name, pid, pid_start, session_id, cwd, git_root, branch, tty, terminal_id,
           summary, task, status, channels, registered_at, last_seen, gone, key_hash, tool_prefix, claude_home)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, 0, ?, ?, ?)`,
      ).run(
        id, name, r.pid, r.pidStart ?? null, r.sessionId ?? null, r.cwd, r.gitRoot ?? null, r.branch ?? null,
        r.tty ?? null, r.terminalId ?? null, r.status ?? 'idle', Number(r.channels ?? false), now, now, r.keyHash, r.toolPrefix ?? null,
        r.claudeHome ?? null,
      );
      return this.peer(id)!;
    });
  }

  /**
   * A Claude Code session found on disk without our MCP server: created or refreshed by its pid
   * (and start time), never over a session of ours. Returns null when an enrolled peer has the pid.
   */
  upsertNative(n: { pid: number; pidStart: string | null; sessionId: string | null; cwd: string; gitRoot: string | null; branch: string | null; name: string | null; status: PeerStatus; socket: string | null }): { peer: Peer; changed: boolean } | null {
    return this.db.transaction(() => {
      const now = this.now();
      const row = this.findRowByPid(n.pid, n.pidStart);
      if (row && row.kind !== 'native' && !row.gone) return null;
      if (row && row.kind === 'native') {
        const changed = row.gone === 1 || row.status !== n.status || row.cwd !== n.cwd || row.inbox_socket !== n.socket || row.branch !== n.branch;
        this.db.prepare(
          `UPDATE peers SET session_id = ?, cwd = ?, git_root = ?, branch = ?, status = ?, inbox_socket = ?, last_seen = ?, gone = 0 WHERE id = ?`,
        ).run(n.sessionId, n.cwd, n.gitRoot, n.branch, n.status, n.socket, now, row.id);
        return { peer: this.peer(row.id)!, changed };
      }
      const id = `n_${randomBytes(6).toString('hex')}`;
      const name = pickName(this.liveNames(null), n.name);
      this.db.prepare(
        `INSERT INTO peers (id, name, pid, pid_start, session_id, cwd, git_root, branch, status, channels, registered_at, last_seen, gone, kind, inbox_socket)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, 'native', ?)`,
      ).run(id, name, n.pid, n.pidStart, n.sessionId, n.cwd, n.gitRoot, n.branch, n.status, now, now, n.socket);
      return { peer: this.peer(id)!, changed: true };
    });
  }

  /** What delivering straight into a session's Claude Code needs to know about it. */
  inboxTarget(id: string): { kind: string; status: string; socket: string | null; channels: boolean; permissionMode: string | null; gone: boolean; pid: number } | null {
    const r = this.db.prepare('SELECT kind, status, inbox_socket, channels, permission_mode, gone, pid FROM peers WHERE id = ?')
      .get<{ kind: string; status: string; inbox_socket: string | null; channels: number; permission_mode: string | null; gone: number; pid: number }>(id);
    return r ? { kind: r.kind, status: r.status, socket: r.inbox_socket, channels: !!r.channels, permissionMode: r.permission_mode, gone: !!r.gone, pid: r.pid } : null;
  }

  /** What Claude Code's session file says of an enrolled peer: its status and inbox socket. */
  syncFromSessionFile(id: string, status: PeerStatus | null, socket: string | null): Peer | null {
    const row = this.mustPeer(id);
    if ((status === null || row.status === status) && row.inbox_socket === socket) return null;
    this.db.prepare('UPDATE peers SET status = COALESCE(?, status), inbox_socket = ? WHERE id = ?').run(status, socket, id);
    return this.peer(id);
  }

  setPermissionMode(id: string, mode: string): void {
    this.db.prepare('UPDATE peers SET permission_mode = ? WHERE id = ? AND (permission_mode IS NOT ? )').run(mode, id, mode);
  }

  /** Live enrolled peers by pid, with where their Claude Code keeps its session files. */
  enrolledByPid(): Map<number, { id: string; claudeHome: string | null }> {
    const rows = this.db.prepare("SELECT id, pid, claude_home FROM peers WHERE gone = 0 AND kind = 'peer'").all<{ id: string; pid: number; claude_home: string | null }>();
    return new Map(rows.map((r) => [r.pid, { id: r.id, claudeHome: r.claude_home }]));
  }

  /** How a peer's Claude Code names our tools (null: the default prefix). */
  toolPrefix(id: string): string | null {
    return this.db.prepare('SELECT tool_prefix FROM peers WHERE id = ?').get<{ tool_prefix: string | null }>(id)?.tool_prefix ?? null;
  }

  /** The peer a session key's hash is bound to (any state), or null. */
  peerIdByKeyHash(keyHash: string): string | null {
    return this.db.prepare('SELECT id FROM peers WHERE key_hash = ?').get<{ id: string }>(keyHash)?.id ?? null;
  }

  /** Refreshes what hooks learn about a session: its folder, branch and status. */
  updateSession(id: string, u: { cwd?: string; gitRoot?: string | null; branch?: string | null; sessionId?: string | null; status?: PeerStatus }): Peer {
    const row = this.mustPeer(id);
    this.db.prepare(
      `UPDATE peers SET cwd = ?, git_root = ?, branch = ?, session_id = COALESCE(?, session_id), status = ?, last_seen = ?, gone = 0 WHERE id = ?`,
    ).run(
      u.cwd ?? row.cwd, u.cwd === undefined ? row.git_root : u.gitRoot ?? null, u.cwd === undefined ? row.branch : u.branch ?? null,
      u.sessionId ?? null, u.status ?? (row.gone ? 'idle' : row.status), this.now(), id,
    );
    return this.peer(id)!;
  }

  setTask(id: string, task: string): void {
    this.db.prepare('UPDATE peers SET task = ? WHERE id = ?').run(task, id);
  }

  markGone(id: string): void {
    this.db.prepare("UPDATE peers SET gone = 1, status = 'gone' WHERE id = ?").run(id);
  }

  heartbeat(id: string): Peer {
    const res = this.db.prepare('UPDATE peers SET last_seen = ?, gone = 0 WHERE id = ?').run(this.now(), id);
    if (!res.changes) throw new ApiError(404, 'unknown_peer', `No peer with id ${id}: register again (POST /v1/peers).`);
    return this.peer(id)!;
  }

  setSummary(id: string, summary: string): Peer {
    this.mustPeer(id);
    this.db.prepare('UPDATE peers SET summary = ?, last_seen = ? WHERE id = ?').run(summary.trim() || null, this.now(), id);
    return this.peer(id)!;
  }

  /** One peer, with the files it edited lately. */
  peer(id: string): Peer | null {
    const row = this.db.prepare('SELECT * FROM peers WHERE id = ?').get<PeerRow>(id);
    return row ? this.toPeers([row])[0] : null;
  }

  /** A peer as a sender: the few fields a send stores, read without the rest (a send's hot path). */
  sender(id: string): Sender | null {
    const r = this.db.prepare('SELECT id, name, cwd, git_root, last_seen FROM peers WHERE id = ?')
      .get<{ id: string; name: string; cwd: string; git_root: string | null; last_seen: number }>(id);
    return r ? { id: r.id, name: r.name, cwd: r.cwd, gitRoot: r.git_root, lastSeen: iso(r.last_seen) } : null;
  }

  /** Live peers (or every known one), oldest first. */
  listPeers(includeGone = false): Peer[] {
    const rows = this.db.prepare(
      includeGone ? 'SELECT * FROM peers ORDER BY registered_at' : 'SELECT * FROM peers WHERE gone = 0 ORDER BY registered_at',
    ).all<PeerRow>();
    return this.toPeers(rows);
  }

  /**
   * Marks as gone every live peer whose heartbeat is older than the TTL or whose claude process
   * has exited, and returns them. `alive` is injected so tests can simulate process deaths.
   */
  sweep(alive: (pid: number) => boolean, connected: (peerId: string) => boolean): Peer[] {
    const cutoff = this.now() - this.opts.ttlMs;
    const live = this.db.prepare('SELECT * FROM peers WHERE gone = 0').all<PeerRow>();
    const dead = live.filter((r) => !alive(r.pid) || (r.last_seen < cutoff && !connected(r.id)));
    if (!dead.length) return [];
    this.db.transaction(() => {
      for (const r of dead) this.db.prepare("UPDATE peers SET gone = 1, status = 'gone' WHERE id = ?").run(r.id);
    });
    return dead.map((r) => this.peer(r.id)!);
  }

  /** The peer of a claude process, if it registered (or a hook of it ran). */
  peerByPid(pid: number, pidStart: string | null): Peer | null {
    const row = this.findRowByPid(pid, pidStart);
    return row ? this.toPeers([row])[0] : null;
  }

  private findRowByPid(pid: number, pidStart: string | null): PeerRow | undefined {
    const rows = this.db.prepare('SELECT * FROM peers WHERE pid = ? ORDER BY last_seen DESC').all<PeerRow>(pid);
    return rows.find((r) => !pidStart || !r.pid_start || r.pid_start === pidStart);
  }

  private liveNames(except: string | null): Set<string> {
    const rows = this.db.prepare('SELECT id, name FROM peers WHERE gone = 0').all<{ id: string; name: string }>();
    return new Set(rows.filter((r) => r.id !== except).map((r) => r.name));
  }

  private mustPeer(id: string): PeerRow {
    const row = this.db.prepare('SELECT * FROM peers WHERE id = ?').get<PeerRow>(id);
    if (!row) throw new ApiError(404, 'unknown_peer', `No peer with id ${id}: register again (POST /v1/peers).`);
    return row;
  }

  private toPeers(rows: PeerRow[]): Peer[] {
    if (!rows.length) return [];
    const files = new Map<string, FileTouch[]>();
    const touchRows = this.db.prepare(
      `SELECT peer_id, path, tool, at FROM (
         SELECT peer_id, path, tool, at, ROW_NUMBER() OVER (PARTITION BY peer_id ORDER BY at DESC) AS rn
         FROM file_touches ${rows.length === 1 ? 'WHERE peer_id = ?' : ''}) WHERE rn <= ${FILES_PER_PEER}
       ORDER BY at DESC`,
    ).all<{ peer_id: string; path: string; tool: string; at: number }>(...(rows.length === 1 ? [rows[0].id] : []));
    for (const t of touchRows) {
      let list = files.get(t.peer_id);
      if (!list) files.set(t.peer_id, (list = []));
      list.push({ path: t.path, tool: t.tool, at: iso(t.at) });
    }
    return rows.map((r) => ({
      id: r.id, name: r.name, kind: (r.kind === 'native' ? 'native' : 'peer') as Peer['kind'], host: null, pid: r.pid, sessionId: r.session_id, cwd: r.cwd, gitRoot: r.git_root,
      branch: r.branch, tty: r.tty, summary: r.summary, task: r.task,
      status: (r.gone ? 'gone' : r.status) as PeerStatus, terminalId: r.terminal_id, channels: !!r.channels,
      files: files.get(r.id) ?? [], registeredAt: iso(r.registered_at), lastSeen: iso(r.last_seen),
    }));
  }

  // ---- messages ----------------------------------------------------------------------------

  /** A peer's id and name by id, or by name (names are unique among live peers; a gone peer's name still reaches it if free). */
  peerRef(idOrName: string): { id: string; name: string } | null {
    return this.db.prepare('SELECT id, name FROM peers WHERE id = ?').get<{ id: string; name: string }>(idOrName)
      ?? this.db.prepare('SELECT id, name FROM peers WHERE name = ? ORDER BY gone ASC, last_seen DESC LIMIT 1').get<{ id: string; name: string }>(idOrName.toLowerCase())
      ?? null;
  }

  messageExists(id: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM messages WHERE id = ?').get(id);
  }

  /**
   * Stores one message and one delivery per recipient; returns them as delivered rows, built
   * rather than read back (one per recipient, ordered by recipient id). The caller holds the
   * transaction (the broker's group commit) and has checked everything: this only writes.
   */
  insertMessage(m: NewMessage): Message[] {
    const { sender, remote } = m;
    const now = remote?.sentAt ?? this.now();
    const from = remote
      ? { fromId: remote.id, fromName: remote.name, fromKind: remote.kind, fromCwd: remote.cwd, fromRepo: remote.repo, fromHost: remote.host }
      : {
        fromId: sender?.id ?? HUMAN_ID,
        fromName: sender?.name ?? m.humanName ?? HUMAN_ID,
        fromKind: (sender ? 'peer' : 'human') as Message['fromKind'],
        fromCwd: sender?.cwd ?? null,
        fromRepo: sender?.gitRoot ?? null,
      };
    const res = this.db.prepare(
      `INSERT INTO messages (from_id, from_name, from_kind, from_cwd, from_repo, body, reply_to, broadcast, sent_at, from_host)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(from.fromId, from.fromName, from.fromKind, from.fromCwd, from.fromRepo, m.body, m.replyTo, m.broadcast, now, remote?.host ?? null);
    const id = Number(res.lastInsertRowid);
    const ins = this.db.prepare("INSERT INTO deliveries (message_id, to_id, to_name, state, updated_at) VALUES (?, ?, ?, 'queued', ?)");
    for (const p of m.recipients) ins.run(id, p.id, p.name, now);
    // Sending is a sign of life; once a second is plenty (a page write per send is not free).
    if (sender && !(now - Date.parse(sender.lastSeen) < 1000)) this.db.prepare('UPDATE peers SET last_seen = ? WHERE id = ?').run(now, sender.id);
    const sentAt = iso(now);
    return [...m.recipients].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((p) => ({
      id, ...from, toId: p.id, toName: p.name, body: m.body, replyTo: m.replyTo, broadcast: m.broadcast, sentAt, state: 'queued' as const,
    }));
  }

  /** Messages addressed to a recipient in the given states, oldest first, after `afterId`. */
  inbox(toId: string, states: DeliveryState[] = ['queued', 'delivered'], limit = 500, afterId = 0): Message[] {
    const rows = this.db.prepare(
      `SELECT m.*, d.to_id, d.to_name, d.state FROM deliveries d JOIN messages m ON m.id = d.message_id
       WHERE d.to_id = ? AND d.state IN (${states.map(() => '?').join(',')}) AND d.message_id > ? ORDER BY m.id LIMIT ?`,
    ).all<MessageRow>(toId, ...states, afterId, limit);
    return rows.map(toMessage);
  }

  /** How many messages wait for a recipient in these states. */
  inboxCount(toId: string, states: DeliveryState[] = ['queued', 'delivered']): number {
    return this.db.prepare(
      `SELECT count(*) AS n FROM deliveries WHERE to_id = ? AND state IN (${states.map(() => '?').join(',')})`,
    ).get<{ n: number }>(toId, ...states)!.n;
  }

  /** Recent messages of every recipient (for the panel), newest last. */
  recentMessages(limit = 200, beforeId?: number): Message[] {
    const rows = this.db.prepare(
      `SELECT * FROM (SELECT m.*, d.to_id, d.to_name, d.state FROM deliveries d JOIN messages m ON m.id = d.message_id
       WHERE m.id < ? ORDER BY m.id DESC, d.to_id LIMIT ?) ORDER BY id, to_id`,
    ).all<MessageRow>(beforeId ?? Number.MAX_SAFE_INTEGER, limit);
    return rows.map(toMessage);
  }

  /**
   * Moves deliveries forward (queued → delivered → read; never back). Returns the ids that changed.
   */
  setState(toId: string, ids: number[], state: 'delivered' | 'read'): number[] {
    if (!ids.length) return [];
    const from = state === 'delivered' ? "('queued')" : "('queued', 'delivered')";
    // One statement for the whole batch (acks come in batches of dozens under load).
    const rows = this.db.prepare(
      `UPDATE deliveries SET state = ?, updated_at = ?
       WHERE to_id = ? AND state IN ${from} AND message_id IN (SELECT value FROM json_each(?))
       RETURNING message_id`,
    ).all<{ message_id: number }>(state, this.now(), toId, JSON.stringify(ids));
    const hit = new Set(rows.map((r) => r.message_id));
    return ids.filter((id) => hit.delete(id)); // in the caller's order, each once
  }

  // ---- hooks and files ---------------------------------------------------------------------

  touchFile(peerId: string, path: string, tool: string): void {
    this.db.prepare(
      `INSERT INTO file_touches (peer_id, path_key, path, tool, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (peer_id, path_key) DO UPDATE SET path = excluded.path, tool = excluded.tool, at = excluded.at`,
    ).run(peerId, pathKey(path), path, tool, this.now());
  }

  /** Every file two or more live peers edited within the conflict window. */
  conflicts(): Conflict[] {
    const since = this.now() - this.opts.conflictWindowMs;
    const rows = this.db.prepare(
      `SELECT f.path_key, f.path, f.at, p.id, p.name FROM file_touches f JOIN peers p ON p.id = f.peer_id
       WHERE p.gone = 0 AND f.at >= ? AND f.path_key IN (
         SELECT f2.path_key FROM file_touches f2 JOIN peers p2 ON p2.id = f2.peer_id
         WHERE p2.gone = 0 AND f2.at >= ? GROUP BY f2.path_key HAVING COUNT(*) > 1)
       ORDER BY f.path_key, f.at DESC`,
    ).all<{ path_key: string; path: string; at: number; id: string; name: string }>(since, since);
    const byKey = new Map<string, Conflict>();
    for (const r of rows) {
      let c = byKey.get(r.path_key);
      if (!c) byKey.set(r.path_key, (c = { path: r.path, peers: [] }));
      c.peers.push({ id: r.id, name: r.name, at: iso(r.at), how: 'edit' });
    }
    return [...byKey.values()];
  }

  /** Recent edits by live peers (within the conflict window), for claim conflicts. */
  recentTouches(): { peerId: string; peerName: string; path: string; at: number }[] {
    return this.db.prepare(
      `SELECT f.peer_id AS peerId, p.name AS peerName, f.path, f.at FROM file_touches f JOIN peers p ON p.id = f.peer_id
       WHERE p.gone = 0 AND f.at >= ?`,
    ).all<{ peerId: string; peerName: string; path: string; at: number }>(this.now() - this.opts.conflictWindowMs);
  }

  /** Other live peers that edited this file within the window (for the PreToolUse warning). */
  othersOnFile(peerId: string, path: string): Conflict[] {
    const since = this.now() - this.opts.conflictWindowMs;
    const rows = this.db.prepare(
      `SELECT f.path, f.at, p.id, p.name FROM file_touches f JOIN peers p ON p.id = f.peer_id
       WHERE f.path_key = ? AND p.gone = 0 AND p.id != ? AND f.at >= ? ORDER BY f.at DESC`,
    ).all<{ path: string; at: number; id: string; name: string }>(pathKey(path), peerId, since);
    if (!rows.length) return [];
    return [{ path, peers: rows.map((r) => ({ id: r.id, name: r.name, at: iso(r.at), how: 'edit' as const })) }];
  }
}

function toMessage(r: MessageRow): Message {
  return {
    id: r.id, fromId: r.from_id, fromName: r.from_name, fromKind: r.from_kind as Message['fromKind'],
    fromCwd: r.from_cwd, fromRepo: r.from_repo, ...(r.from_host ? { fromHost: r.from_host } : {}), toId: r.to_id, toName: r.to_name, body: r.body,
    replyTo: r.reply_to, broadcast: r.broadcast as Scope | null, sentAt: iso(r.sent_at), state: r.state as DeliveryState,
  };
}
