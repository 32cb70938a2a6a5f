// One small interface over the two SQLite drivers we can meet: better-sqlite3 (fast, native, must
// match the running Node/Electron ABI) and Node's built-in node:sqlite (no native build, present
// in Node >= 22.5 and recent Electron). The broker prefers the first and falls back to the second,
// so a VS Code whose ABI we did not build for still gets a working broker on the same file.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type SqlValue = string | number | bigint | null | Uint8Array;
export interface Statement {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get<T = Record<string, SqlValue>>(...params: SqlValue[]): T | undefined;
  all<T = Record<string, SqlValue>>(...params: SqlValue[]): T[];
}
/** How another thread opens the same database with the same driver (see checkpointer.ts). */
export interface ReopenSpec {
  driver: 'better-sqlite3' | 'node:sqlite';
  path: string;
  /** better-sqlite3's entry file, resolved from here (a worker's require would resolve elsewhere). */
  module?: string;
  nativeBinding?: string | null;
}
export interface Database {
  readonly driver: 'better-sqlite3' | 'node:sqlite';
  readonly reopen: ReopenSpec;
  exec(sql: string): void;
  prepare(sql: string): Statement;
  /** Runs fn in one transaction (BEGIN IMMEDIATE); fn must be synchronous. */
  transaction<T>(fn: () => T): T;
  userVersion(): number;
  close(): void;
}

export interface OpenOptions {
  /** Force a driver (tests, or the CLAUDE_PEERS_SQLITE env: "better-sqlite3" | "node:sqlite"). */
  driver?: 'better-sqlite3' | 'node:sqlite';
  /** Path of a better_sqlite3.node built for this runtime (the extension ships per-ABI builds). */
  nativeBinding?: string;
  busyTimeoutMs?: number;
}

const req = createRequire(__filename);

/**
 * How long a write waits for a lock another process holds. Both drivers wait synchronously (the
 * broker's event loop stands still meanwhile), and the wait must end well before the clients' 5 s
 * request timeout, so a session hears 503 database_locked instead of "the broker did not answer".
 */
const BUSY_TIMEOUT_MS = 2000;

export function openDatabase(path: string, opts: OpenOptions = {}): { db: Database; fallbackReason?: string } {
  const wanted = opts.driver ?? (process.env.CLAUDE_PEERS_SQLITE as OpenOptions['driver']) ?? undefined;
  let reason: string | undefined;
  if (wanted !== 'node:sqlite') {
    try {
      return { db: openBetter(path, opts) };
    } catch (e) {
      if (wanted === 'better-sqlite3') throw e;
      reason = `better-sqlite3 did not load (${firstLine(e)})`;
    }
  }
  try {
    return { db: openNodeSqlite(path, opts), fallbackReason: reason };
  } catch (e) {
    throw new Error(
      `No SQLite driver could open ${path}: ${reason ?? 'better-sqlite3 not tried'}; node:sqlite: ${firstLine(e)}. ` +
        'Reinstall claude-peers for this Node version (npm rebuild better-sqlite3), or run it with Node 22.5 or newer.',
      { cause: e },
    );
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

function pragmas(db: { exec(sql: string): void }, busy: number): void {
  db.exec(`PRAGMA busy_timeout = ${busy}`);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a crash of this process (kill -9); only a power loss can
  // take back the last commits. That is the durability a local relay needs, at a fraction of FULL.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
}

/**
 * A better_sqlite3.node built for this runtime's ABI, shipped beside the bundle as
 * dist/native/<platform>-<arch>-abi<N>/ (see docs/native.md); null to let better-sqlite3 look.
 */
export function shippedBinding(dir = __dirname): string | null {
  const p = join(dir, 'native', `${process.platform}-${process.arch}-abi${process.versions.modules}`, 'better_sqlite3.node');
  return existsSync(p) ? p : null;
}

function openBetter(path: string, opts: OpenOptions): Database {
  const BetterSqlite = req('better-sqlite3');
  const binding = opts.nativeBinding ?? shippedBinding();
  const raw = new BetterSqlite(path, binding ? { nativeBinding: binding } : {});
  pragmas(raw, opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS);
  const cache = new Map<string, Statement>();
  return {
    driver: 'better-sqlite3',
    reopen: { driver: 'better-sqlite3', path, module: req.resolve('better-sqlite3'), nativeBinding: binding },
    exec: (sql) => raw.exec(sql),
    prepare(sql) {
      let s = cache.get(sql);
      if (!s) { s = raw.prepare(sql) as Statement; cache.set(sql, s); }
      return s;
    },
    transaction: <T>(fn: () => T): T => raw.transaction(fn).immediate(),
    userVersion: () => raw.pragma('user_version', { simple: true }) as number,
    close: () => raw.close(),
  };
}

function openNodeSqlite(path: string, opts: OpenOptions): Database {
  // Loaded lazily: importing node:sqlite prints an ExperimentalWarning on some Node versions.
  const { DatabaseSync } = req('node:sqlite');
  const raw = new DatabaseSync(path);
  pragmas(raw, opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS);
  const cache = new Map<string, Statement>();
  let depth = 0;
  return {
    driver: 'node:sqlite',
    reopen: { driver: 'node:sqlite', path },
    exec: (sql) => raw.exec(sql),
    prepare(sql) {
      let s = cache.get(sql);
      if (!s) {
        const st = raw.prepare(sql);
        s = {
          run: (...p) => st.run(...p),
          get: (...p) => st.get(...p),
          all: (...p) => st.all(...p),
        } as Statement;
        cache.set(sql, s);
      }
      return s;
    },
    transaction<T>(fn: () => T): T {
      if (depth > 0) {
        // Nested: a savepoint, so a failing inner unit leaves the outer transaction clean.
        const sp = `sp${depth}`;
        raw.exec(`SAVEPOINT ${sp}`);
        depth++;
        try {
          const out = fn();
          raw.exec(`RELEASE ${sp}`);
          return out;
        } catch (e) {
          raw.exec(`ROLLBACK TO ${sp}`);
          raw.exec(`RELEASE ${sp}`);
          throw e;
        } finally {
          depth--;
        }
      }
      raw.exec('BEGIN IMMEDIATE');
      depth++;
      try {
        const out = fn();
        raw.exec('COMMIT');
        return out;
      } catch (e) {
        raw.exec('ROLLBACK');
        throw e;
      } finally {
        depth--;
      }
    },
    userVersion: () => Number((raw.prepare('PRAGMA user_version').get() as { user_version: number }).user_version),
    close: () => raw.close(),
  };
}
