// Paths as the file system sees them: when two spellings name one file, and whether a claim's
// pattern covers a file. Shared by the broker (conflicts, claims) and the editor (badges).

const caseInsensitiveFs = process.platform === 'win32' || process.platform === 'darwin';

/** The key two paths share when they name the same file on this OS. */
export const pathKey = (p: string) => (caseInsensitiveFs ? p.toLowerCase() : p);

/**
 * Matches an absolute path against an absolute glob: `**` spans folders, `*` and `?` stay within
 * one. A pattern without wildcards matches the file itself or anything below it (a folder claim).
 */
export function globMatch(pattern: string, path: string): boolean {
  const p = pathKey(pattern.replace(/\\/g, '/'));
  const f = pathKey(path.replace(/\\/g, '/'));
  // Only * and ? are wildcards: brackets are ordinary characters (app/[id] is a Next.js folder).
  if (!/[*?]/.test(p)) return f === p || f.startsWith(p.endsWith('/') ? p : p + '/');
  // Tokens: ANY (`**`, also eats a following "/"), SEG (`*`), ONE (`?`), or one literal character.
  const ANY = -1, SEG = -2, ONE = -3, SLASH = 47;
  const tok: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === '*') {
      if (p[i + 1] === '*') { tok.push(ANY); i++; if (p[i + 1] === '/') i++; } else tok.push(SEG);
    } else tok.push(ch === '?' ? ONE : ch.charCodeAt(0));
  }
  // Runs the pattern as an automaton over the path, one character at a time: O(path × pattern).
  // (A backtracking RegExp took exponential time on claims like "/a*a*a*…b" and froze the broker.)
  let cur = new Uint8Array(tok.length + 1);
  let next = new Uint8Array(tok.length + 1);
  const skipStars = (s: Uint8Array) => { for (let i = 0; i < tok.length; i++) if (s[i] && (tok[i] === ANY || tok[i] === SEG)) s[i + 1] = 1; };
  cur[0] = 1;
  skipStars(cur);
  for (let k = 0; k < f.length; k++) {
    const c = f.charCodeAt(k);
    const lineEnd = c === 10 || c === 13 || c === 0x2028 || c === 0x2029; // what RegExp "." never matched
    next.fill(0);
    let alive = false;
    for (let i = 0; i < tok.length; i++) {
      if (!cur[i]) continue;
      const t = tok[i];
      if ((t === ANY && !lineEnd) || (t === SEG && c !== SLASH)) { next[i] = 1; alive = true; }
      else if ((t === ONE && c !== SLASH) || t === c) { next[i + 1] = 1; alive = true; }
    }
    if (!alive) return false;
    skipStars(next);
    [cur, next] = [next, cur];
  }
  return cur[tok.length] === 1;
}
