// Opening the broker's database file as a careful user would: private to this user, checked for
// damage before anything depends on it, and when damaged, kept aside (never deleted) with a fresh
// file in its place, so sessions can still join and the person is told where the copy is.
import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { isCorruption, openDatabase, type Opened, type OpenOptions } from './sqlite.ts';
import { securePrivateFile, touchPrivateFile } from '../common/private-files.ts';

export interface OpenedFile extends Opened {
  /** Set when the file (or its WAL) was damaged: what happened and where the copy went, in words. */
  recovered: string | null;
}

const SIDE_FILES = ['-wal', '-shm'] as const;

/** Opens `path` for the broker; see the file comment. Throws only when no driver can open any file. */
export function openBrokerDatabase(path: string, opts: OpenOptions = {}, log: (line: string) => void = () => {}): OpenedFile {
  for (const f of ['', ...SIDE_FILES]) securePrivateFile(path + f);
  touchPrivateFile(path);
  let recovered: string | null = null;

  const wal = walHeaderProblem(`${path}-wal`);
  if (wal) {
    // SQLite would ignore this WAL without a word and with it every commit it holds.
    const copy = quarantine(`${path}-wal`);
    recovered = `The database's write-ahead log ${path}-wal was damaged (${wal}); the commits in it could not be recovered. It was moved to ${copy}.`;
    log(recovered);
  }

  let opened: Opened;
  try {
    opened = openDatabase(path, opts);
    const problem = integrityProblem(opened);
    if (problem) {
      opened.db.close();
      throw Object.assign(new Error(problem), { code: 'SQLITE_CORRUPT' });
    }
  } catch (e) {
    if (!isCorruption(e)) throw e;
    const copy = quarantine(path);
    for (const f of SIDE_FILES) if (existsSync(path + f)) renameSync(path + f, copy + f);
    const what = `The peers database ${path} was damaged (${firstLine(e)}). It was moved to ${copy} (with its -wal/-shm files, if any) ` +
      'and an empty database was started: peers join again by themselves; messages that were in the old file are in the copy.';
    recovered = recovered ? `${recovered} ${what}` : what;
    log(what);
    touchPrivateFile(path);
    opened = openDatabase(path, opts);
  }
  // SQLite creates the WAL and shared-memory files with the database's mode; make sure anyway.
  for (const f of SIDE_FILES) securePrivateFile(path + f);
  return { ...opened, recovered };
}

/** `PRAGMA quick_check` (every page and index, without cross-checking indexes against rows). */
function integrityProblem({ db }: Opened): string | null {
  const rows = db.prepare('PRAGMA quick_check').all<{ quick_check: string }>();
  const first = rows[0]?.quick_check;
  return first === 'ok' ? null : `quick_check: ${rows.slice(0, 3).map((r) => r.quick_check).join('; ')}`;
}

/** Moves a file aside under a name that says when and why; returns the new path. */
function quarantine(path: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const copy = `${path}.damaged-${stamp}`;
  renameSync(path, copy);
  return copy;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/**
 * What is wrong with a WAL file's 32-byte header, or null when it is sound or absent. A torn last
 * frame after a crash is normal and SQLite handles it; a header that is not a WAL header means the
 * file was overwritten, and SQLite would then silently discard the whole log.
 */
export function walHeaderProblem(walPath: string): string | null {
  let size: number;
  try { size = statSync(walPath).size; } catch { return null; }
  if (size === 0) return null;
  if (size < 32) return `${size} bytes, shorter than a WAL header`;
  const h = Buffer.alloc(32);
  const fd = openSync(walPath, 'r');
  try { readSync(fd, h, 0, 32, 0); } finally { closeSync(fd); }
  const magic = h.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return `not a WAL header (magic 0x${magic.toString(16)})`;
  // The header's own checksum over its first 24 bytes, in the byte order the magic names.
  const word = magic === 0x377f0683 ? (i: number) => h.readUInt32BE(i) : (i: number) => h.readUInt32LE(i);
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < 24; i += 8) {
    s0 = (s0 + word(i) + s1) >>> 0;
    s1 = (s1 + word(i + 4) + s0) >>> 0;
  }
  if (s0 !== h.readUInt32BE(24) || s1 !== h.readUInt32BE(28)) return 'its header checksum does not match';
  return null;
}
