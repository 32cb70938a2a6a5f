// Schema history. Each step runs once, in its own transaction that also bumps user_version, so a
// database from any earlier release is brought forward in place and a failed step changes nothing.
import type { Database } from './sqlite.ts';

export const MIGRATIONS: string[] = [
  // 1: peers, messages with one delivery row per recipient, file activity.
  `CREATE TABLE peers (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, pid INTEGER NOT NULL, pid_start TEXT, session_id TEXT,
     cwd TEXT NOT NULL, git_root TEXT, branch TEXT, tty TEXT, terminal_id TEXT, summary TEXT, task TEXT,
     status TEXT NOT NULL DEFAULT 'idle', channels INTEGER NOT NULL DEFAULT 0,
     registered_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, gone INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX peers_pid ON peers (pid);
   CREATE INDEX peers_live ON peers (gone, name);
   CREATE TABLE messages (
     id INTEGER PRIMARY KEY AUTOINCREMENT, from_id TEXT NOT NULL, from_name TEXT NOT NULL,
     from_kind TEXT NOT NULL, from_cwd TEXT, from_repo TEXT, body TEXT NOT NULL,
     reply_to INTEGER REFERENCES messages (id), broadcast TEXT, sent_at INTEGER NOT NULL);
   CREATE TABLE deliveries (
     message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE, to_id TEXT NOT NULL,
     to_name TEXT NOT NULL, state TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (message_id, to_id));
   CREATE INDEX deliveries_inbox ON deliveries (to_id, state, message_id);
   CREATE TABLE file_touches (
     peer_id TEXT NOT NULL REFERENCES peers (id) ON DELETE CASCADE, path_key TEXT NOT NULL,
     path TEXT NOT NULL, tool TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (peer_id, path_key));
   CREATE INDEX file_touches_path ON file_touches (path_key, at);`,
  // 2: named locks (git, npm-install, …) and file claims, for coordination beyond messages.
  `CREATE TABLE locks (
     name TEXT NOT NULL, peer_id TEXT NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
     reason TEXT, acquired_at INTEGER, expires_at INTEGER NOT NULL, queued_at INTEGER NOT NULL,
     PRIMARY KEY (name, peer_id));
   CREATE TABLE claims (
     peer_id TEXT NOT NULL REFERENCES peers (id) ON DELETE CASCADE, pattern TEXT NOT NULL,
     reason TEXT, expires_at INTEGER NOT NULL, PRIMARY KEY (peer_id, pattern));`,
  // 3: each peer's session credential (its SHA-256), so a request acts as one peer only.
  `ALTER TABLE peers ADD COLUMN key_hash TEXT;
   CREATE UNIQUE INDEX peers_key ON peers (key_hash);`,
  // 4: how the session's Claude Code names our tools (the plugin prefixes them), for hook answers.
  `ALTER TABLE peers ADD COLUMN tool_prefix TEXT;`,
  // 5: Claude Code sessions found on disk without our MCP server ("native"), the inbox socket a
  // session listens on, its permission mode, and where its Claude Code keeps its session files.
  `ALTER TABLE peers ADD COLUMN kind TEXT NOT NULL DEFAULT 'peer';
   ALTER TABLE peers ADD COLUMN inbox_socket TEXT;
   ALTER TABLE peers ADD COLUMN permission_mode TEXT;
   ALTER TABLE peers ADD COLUMN claude_home TEXT;`,
  // 6: federation (src/broker/federation): the host of a sender on another broker; the brokers
  // heard from, with the signing key pinned on first sight and the sequence numbers of the
  // envelopes each way; the outbox of envelopes committed here and not yet taken by NATS; which
  // local message each incoming one became (dedupe, replies and states back to its origin).
  `ALTER TABLE messages ADD COLUMN from_host TEXT;
   CREATE TABLE fed_brokers (
     id TEXT PRIMARY KEY, public_key TEXT NOT NULL, host TEXT, first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL, out_seq INTEGER NOT NULL DEFAULT 0, in_seq INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE fed_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, to_broker TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE fed_inbound (
     local_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
     origin_broker TEXT NOT NULL, origin_id INTEGER NOT NULL);
   CREATE UNIQUE INDEX fed_inbound_origin ON fed_inbound (origin_broker, origin_id);`,
];

/** Applies the steps after the database's user_version, up to `upTo` (all by default). */
export function migrate(db: Database, steps: string[], upTo = steps.length): number {
  for (;;) {
    // The version is read inside the step's write transaction: a second process migrating the same
    // file at the same moment waits for the lock, then sees the step done and skips it.
    const done = db.transaction(() => {
      const from = db.userVersion();
      if (from > steps.length) {
        throw new Error(`The database was written by a newer claude-peers (schema ${from}, this one knows ${steps.length}): update claude-peers, or point CLAUDE_PEERS_HOME elsewhere.`);
      }
      if (from >= upTo) return true;
      db.exec(steps[from]);
      db.exec(`PRAGMA user_version = ${from + 1}`);
      return false;
    });
    if (done) return db.userVersion();
  }
}
