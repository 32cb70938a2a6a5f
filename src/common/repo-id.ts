// A repository's identity across machines: two clones of one repository on two hosts (a laptop
// and a devcontainer, two teammates) have different paths but the same remote, so the identity is
// the normalised URL of its remote ("origin", else the first one), and a file in it is named by
// its path inside the repository. Read straight from the .git files, as git.ts does.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * `git@github.com:Org/Repo.git`, `https://user:pw@github.com/Org/Repo`, `ssh://git@github.com:22/Org/Repo.git/`
 * all become `github.com/Org/Repo`: no scheme, no user or password, no port, no `.git`, the host in
 * lower case (paths keep their case: some servers tell them apart). A remote that is a local path
 * or a file:// URL names a folder on one machine only: null.
 */
export function normaliseRemoteUrl(url: string): string | null {
  const u = url.trim();
  if (!u || u.length > 2000) return null;
  let host: string;
  let path: string;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(u);
  if (scheme) {
    if (scheme[1].toLowerCase() === 'file') return null;
    const rest = scheme[2];
    const slash = rest.indexOf('/');
    if (slash < 0) return null;
    host = rest.slice(0, slash);
    path = rest.slice(slash + 1);
  } else {
    // scp-like: [user@]host:path (a Windows drive letter "C:\…" is a local path, not a host).
    const scp = /^(?:[^@/]+@)?([^:/]+):(?!\\)(.+)$/.exec(u);
    if (!scp || scp[1].length === 1) return null;
    host = scp[1];
    path = scp[2];
  }
  host = host.replace(/^[^@]*@/, '').replace(/:\d*$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  path = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  // A port written scp-style (ssh://host:22/… handled above; "host:22/org/repo" is not valid scp).
  if (!host || !path || /[\s\0]/.test(host + path)) return null;
  return `${host}/${path}`;
}

/** The remote URLs of a git config file's text, by remote name. */
export function remotesOf(configText: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | null = null;
  for (const raw of configText.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*remote\s+"([^"]*)"\s*\]$/i.exec(line);
    if (section) { current = section[1]; continue; }
    if (line.startsWith('[')) { current = null; continue; }
    const kv = /^url\s*=\s*(.*)$/i.exec(line);
    if (current !== null && kv && !out.has(current)) out.set(current, kv[1].replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

const cache = new Map<string, { id: string | null; at: number }>();
const CACHE_MS = 30_000;

/** The identity of the repository whose work tree is `gitRoot` (cached for half a minute), or null. */
export function repoIdentity(gitRoot: string | null | undefined, now = Date.now()): string | null {
  if (!gitRoot || !isAbsolute(gitRoot)) return null;
  const hit = cache.get(gitRoot);
  if (hit && now - hit.at < CACHE_MS) return hit.id;
  const id = readIdentity(gitRoot);
  if (cache.size > 1000) cache.clear();
  cache.set(gitRoot, { id, at: now });
  return id;
}

function readIdentity(gitRoot: string): string | null {
  const gitDir = commonGitDir(gitRoot);
  if (!gitDir) return null;
  let text: string;
  try { text = readFileSync(join(gitDir, 'config'), 'utf8'); } catch { return null; }
  const remotes = remotesOf(text);
  const url = remotes.get('origin') ?? remotes.values().next().value;
  return url ? normaliseRemoteUrl(url) : null;
}

/** The git dir holding the config: for a worktree, the main repository's (its `commondir`). */
function commonGitDir(root: string): string | null {
  const dotGit = join(root, '.git');
  let st;
  try { st = statSync(dotGit); } catch { return null; }
  if (st.isDirectory()) return dotGit;
  let gitDir: string;
  try {
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    if (!m) return null;
    gitDir = resolve(root, m[1].trim());
  } catch { return null; }
  try {
    const common = readFileSync(join(gitDir, 'commondir'), 'utf8').trim();
    return common ? resolve(gitDir, common) : gitDir;
  } catch {
    return gitDir;
  }
}

/** A file's path inside its repository, with "/" separators; null when it is not inside `gitRoot`. */
export function pathInRepo(gitRoot: string | null | undefined, file: string): string | null {
  if (!gitRoot || !isAbsolute(file)) return null;
  const rel = relative(gitRoot, file);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return null;
  return sep === '/' ? rel : rel.split(sep).join('/');
}
