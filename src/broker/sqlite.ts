// One small interface over the SQLite drivers a broker can meet, tried in this order:
//   1. better-sqlite3 13, a Node-API addon: one build per platform loads in every Node >= 22.14
//      and in Electron (desktop VS Code >= 1.101) without a rebuild. The VSIX for a platform ships
//      its prebuild in dist/native/<target>/; an npm install finds the package's own prebuilds.
//   2. better-sqlite3 12, built by npm for this Node's ABI: the CLI on Node 20, where 13 crashes
//      (Node-API 9). The VSIX does not carry it.
//   3. node:sqlite, built into Node >= 22.5 and Electron: no native file at all (the universal
//      VSIX, or a platform without a prebuild).
// Every driver opens the same file with the same pragmas, so a broker may change driver between
// runs. Only the broker's thread opens the database: no worker thread, so no native object is
// ever finalised in an environment that is being torn down.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PeersError } from '../protocol/errors.ts';

export type SqlValue = string | number | bigint | null | Uint8Array;
export interface Statement {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get<T = Record<string, SqlValue>>(...params: SqlValue[]): T | undefined;
  all<T = Record<string, SqlValue>>(...params: SqlValue[]): T[];
}
export type DriverName = 'better-sqlite3' | 'node:sqlite';
export interface Database {
  readonly driver: DriverName;
  /** The driver as a person reads it: name, version and where its native code came from. */
  readonly label: string;
  exec(sql: string): void;
  prepare(sql: string): Statement;
  /** Runs fn in one transaction (BEGIN IMMEDIATE); fn must be synchronous. */
  transaction<T>(fn: () => T): T;
  userVersion(): number;
  close(): void;
}

/** A driver to insist on: either better-sqlite3, one of its two builds, or node:sqlite. */
export type DriverChoice = DriverName | 'better-sqlite3-13' | 'better-sqlite3-12';
export const DRIVER_CHOICES: readonly DriverChoice[] = ['better-sqlite3', 'better-sqlite3-13', 'better-sqlite3-12', 'node:sqlite'];

export interface OpenOptions {
  /** Force a driver (tests, or the CLAUDE_PEERS_SQLITE env). */
  driver?: DriverChoice;
  /** The folder holding native/<target>/better_sqlite3.node (the bundle's own folder by default). */
  nativeDir?: string;
  busyTimeoutMs?: number;
  /**
   * Pages after which SQLite checkpoints the WAL inside a commit (its default is 1000). With the
   * broker's one connection every checkpoint catches up, so the WAL starts over and stays small.
   */
  autoCheckpointPages?: number;
}

export interface Opened {
  db: Database;
  /** Why the drivers before the one that opened were not used, one line each (empty when the first did). */
  skipped: string[];
}

const req = createRequire(__filename);

/**
 * How long a write waits for a lock another process holds. Both drivers wait synchronously (the
 * broker's event loop stands still meanwhile), and the wait must end well before the clients' 5 s
 * request timeout, so a session hears 503 database_locked instead of "the broker did not answer".
 */
const BUSY_TIMEOUT_MS = 2000;
/** A WAL grown by one big transaction is cut back to this when it starts over. */
const WAL_SIZE_LIMIT = 16 * 2 ** 20;

/** Raised when no driver could open the file; `skipped` says why for each. */
export class NoDriverError extends PeersError {
  constructor(readonly path: string, readonly skipped: string[], options?: { cause?: unknown }) {
    super(0, 'no_sqlite_driver', 
      `No SQLite driver could open ${path}: ${skipped.join('; ')}. ` +
        'Run claude-peers on Node 22.14 or newer (or Node 20 with `npm rebuild better-sqlite3`), or use a VS Code of version 1.101 or newer.',
    );
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export function openDatabase(path: string, opts: OpenOptions = {}): Opened {
  const env = process.env.CLAUDE_PEERS_SQLITE;
  const wanted = opts.driver ?? (DRIVER_CHOICES.includes(env as DriverChoice) ? (env as DriverChoice) : undefined);
  const skipped: string[] = [];
  let lastError: unknown;
  const attempts: [DriverChoice, DriverName, string, () => Database][] = [
    ['better-sqlite3-13', 'better-sqlite3', 'better-sqlite3 13 (Node-API)', () => openBetterNapi(path, opts)],
    ['better-sqlite3-12', 'better-sqlite3', 'better-sqlite3 12', () => openBetterV8(path, opts)],
    ['node:sqlite', 'node:sqlite', 'node:sqlite', () => openNodeSqlite(path, opts)],
  ];
  for (const [choice, driver, name, open] of attempts) {
    if (wanted && wanted !== choice && wanted !== driver) continue;
    try {
      return { db: open(), skipped };
    } catch (e) {
      // A damaged file is not a driver problem: the caller deals with it (database-file.ts).
      if (isCorruption(e)) throw e;
      lastError = e;
      skipped.push(`${name}: ${firstLine(e)}`);
    }
  }
  throw new NoDriverError(path, skipped, { cause: lastError });
}

/** SQLite's own words for a file that is not a (sound) database. */
export function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return true;
  return /database disk image is malformed|file is not a database|file is encrypted or is not a database/i.test(String((e as Error)?.message ?? e));
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

function pragmas(db: { exec(sql: string): void }, opts: OpenOptions): void {
  db.exec(`PRAGMA busy_timeout = ${opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a crash of this process (kill -9); only a power loss can
  // take back the last commits. That is the durability a local relay needs, at a fraction of FULL.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec(`PRAGMA wal_autocheckpoint = ${opts.autoCheckpointPages ?? 1000}`);
  db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT}`);
}

/** The name of this platform's prebuild, as better-sqlite3 13 and our VSIX targets spell it. */
export function nativeTarget(platform = process.platform, arch = process.arch): string {
  return `${platform === 'linux' && isMusl() ? 'linuxmusl' : platform}-${arch}`;
}

function isMusl(): boolean {
  try {
    return /\/ld-musl-[^/\s]*\.so/.test(readFileSync('/proc/self/maps', 'latin1'));
  } catch {
    return false;
  }
}

/** The prebuild a platform VSIX ships beside the bundle, or null. */
export function shippedBinding(dir = __dirname): string | null {
  const p = join(dir, 'native', nativeTarget(), 'better_sqlite3.node');
  return existsSync(p) ? p : null;
}

interface BetterDb {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  transaction<T>(fn: () => T): { immediate(): T };
  pragma(sql: string, o: { simple: true }): unknown;
  close(): void;
}

function wrapBetter(raw: BetterDb, label: string): Database {
  const cache = new Map<string, Statement>();
  return {
    driver: 'better-sqlite3',
    label,
    exec: (sql) => raw.exec(sql),
    prepare(sql) {
      let s = cache.get(sql);
      if (!s) { s = raw.prepare(sql); cache.set(sql, s); }
      return s;
    },
    transaction: <T>(fn: () => T): T => raw.transaction(fn).immediate(),
    userVersion: () => raw.pragma('user_version', { simple: true }) as number,
    close: () => raw.close(),
  };
}

function openBetterNapi(path: string, opts: OpenOptions): Database {
  // Node-API 10 (Node 22.14, 23.6; Electron 35): the addon calls functions older runtimes lack,
  // and on Node 20 it crashes the process instead of failing to load.
  const napi = Number(process.versions.napi);
  if (!(napi >= 10)) throw new Error(`needs Node-API 10, this runtime has ${process.versions.napi ?? 'none'}`);
  const binding = shippedBinding(opts.nativeDir);
  const Better = req('better-sqlite3-napi') as new (p: string, o: object) => BetterDb;
  const version = (req('better-sqlite3-napi/package.json') as { version: string }).version;
  const raw = new Better(path, binding ? { nativeBinding: binding } : {});
  return open(raw, `better-sqlite3 ${version} (Node-API, ${binding ? 'shipped' : 'package'} ${nativeTarget()} build)`, opts);
}

function openBetterV8(path: string, opts: OpenOptions): Database {
  const Better = req('better-sqlite3') as new (p: string, o?: object) => BetterDb;
  const version = (req('better-sqlite3/package.json') as { version: string }).version;
  return open(new Better(path), `better-sqlite3 ${version} (ABI ${process.versions.modules})`, opts);
}

function open(raw: BetterDb, label: string, opts: OpenOptions): Database {
  try {
    pragmas(raw, opts);
  } catch (e) {
    raw.close();
    throw e;
  }
  return wrapBetter(raw, label);
}

interface NodeSqlite {
  DatabaseSync: new (path: string) => {
    exec(sql: string): void;
    prepare(sql: string): { run(...p: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint }; get(...p: SqlValue[]): unknown; all(...p: SqlValue[]): unknown[] };
    close(): void;
  };
}

/** node:sqlite, loaded so that no bundler can drop the `node:` prefix it cannot be loaded without. */
function loadNodeSqlite(): NodeSqlite {
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const mod = builtin ? builtin('node:sqlite') : req(['node', 'sqlite'].join(':'));
  if (!mod) throw new Error(`not built into Node ${process.versions.node} (needs 22.5 or newer)`);
  return mod as NodeSqlite;
}

function openNodeSqlite(path: string, opts: OpenOptions): Database {
  const { DatabaseSync } = loadNodeSqlite();
  const raw = new DatabaseSync(path);
  try {
    pragmas(raw, opts);
  } catch (e) {
    raw.close();
    throw e;
  }
  const cache = new Map<string, Statement>();
  let depth = 0;
  return {
    driver: 'node:sqlite',
    label: `node:sqlite (Node ${process.versions.node})`,
    exec: (sql) => raw.exec(sql),
    prepare(sql) {
      let s = cache.get(sql);
      if (!s) {
        const st = raw.prepare(sql);
        s = {
          run: (...p) => { const r = st.run(...p); return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid }; },
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
