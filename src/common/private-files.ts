// Files only this OS user may read: the claude-peers home (0700) and what it holds (0600). The
// home may have been made by an older release with the default umask, by hand, or planted by
// someone else; each case is told apart here, and only the first is repaired silently.
import { chmodSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { PeersError } from '../protocol/errors.ts';

/** Raised when a path cannot be trusted; the message says what is wrong and how to fix it. */
export class UnsafePathError extends PeersError {
  constructor(message: string) { super(0, 'unsafe_path', message); }
}

/** POSIX ownership and modes; Windows has neither (its ACLs keep a user's profile private). */
const posix = process.platform !== 'win32' && typeof process.getuid === 'function';
const myUid = () => process.getuid!();

function ownerProblem(st: Stats, what: string, path: string): string | null {
  if (!posix || st.uid === myUid()) return null;
  return `${what} ${path} belongs to another user (uid ${st.uid}), not to you (uid ${myUid()}): someone else could read or plant files there. ` +
    'Remove it (or set CLAUDE_PEERS_HOME to a folder of your own) and start again.';
}

/**
 * Makes sure `dir` exists and only this user can use it. A symlink is followed to its target,
 * which must pass the same checks. A folder readable by others (an older release's 0755) is
 * tightened to 0700; one that others may write to, or that belongs to someone else, is refused.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const link = lstatSync(dir);
  const real = link.isSymbolicLink() ? realpathSync(dir) : dir;
  const st = link.isSymbolicLink() ? statSync(real) : link;
  const where = link.isSymbolicLink() ? `${dir} (a symlink to ${real})` : dir;
  if (!st.isDirectory()) throw new UnsafePathError(`${where} is not a folder. Remove it, or set CLAUDE_PEERS_HOME to a folder of your own.`);
  const owner = ownerProblem(st, 'The folder', where);
  if (owner) throw new UnsafePathError(owner);
  if (!posix) return;
  if (st.mode & 0o022) {
    throw new UnsafePathError(`The folder ${where} can be written by other users (mode ${(st.mode & 0o777).toString(8)}): ` +
      `files in it could have been planted. Check its contents, then run "chmod 700 ${real}", or set CLAUDE_PEERS_HOME to a new folder.`);
  }
  if (st.mode & 0o077) chmodSync(real, 0o700);
}

/**
 * Checks a file in a private folder before it is read or written: never a symlink (it could point
 * anywhere), never someone else's; readable by others → tightened to 0600. Absent is fine.
 */
export function securePrivateFile(path: string): void {
  let st: Stats;
  try { st = lstatSync(path); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (st.isSymbolicLink()) {
    throw new UnsafePathError(`${path} is a symlink; claude-peers only trusts plain files it made itself. Remove it and start again.`);
  }
  if (!st.isFile()) throw new UnsafePathError(`${path} is not a regular file. Remove it and start again.`);
  const owner = ownerProblem(st, 'The file', path);
  if (owner) throw new UnsafePathError(owner);
  if (posix && st.mode & 0o077) chmodSync(path, 0o600);
}

/** Creates an empty file with mode 0600 if there is none (SQLite then gives its WAL the same mode). */
export function touchPrivateFile(path: string): void {
  securePrivateFile(path);
  closeSync(openSync(path, 'a', 0o600));
}

/**
 * Writes `text` to `path` only if no file is there, atomically: two processes racing to create it
 * both end up reading the one that landed first. Returns whether this call created it.
 */
export function createPrivateFileExclusive(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    // A file system without hard links (some network mounts): an exclusive create, then the content.
    if ((e as NodeJS.ErrnoException).code === 'EPERM' || (e as NodeJS.ErrnoException).code === 'ENOTSUP') {
      try { writeFileSync(path, text, { mode: 0o600, flag: 'wx' }); return true; } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e2;
      }
    }
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Replaces `path` with `text` atomically (a reader sees the old file or the new one, whole). */
export function replacePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}
