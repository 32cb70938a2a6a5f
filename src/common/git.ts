// Repository facts read straight from the .git files: no git process per hook call, and it
// understands worktrees (a `.git` file pointing at the real git dir).
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, isAbsolute } from 'node:path';

export interface GitInfo { root: string | null; branch: string | null }

export function gitInfo(cwd: string): GitInfo {
  let dir = resolve(cwd);
  for (;;) {
    const dotGit = join(dir, '.git');
    let st;
    try { st = statSync(dotGit); } catch { st = null; }
    if (st) {
      let gitDir = dotGit;
      if (st.isFile()) {
        // A worktree or submodule: ".git" holds "gitdir: <path>".
        const m = /^gitdir:\s*(.+)$/m.exec(safeRead(dotGit) ?? '');
        if (!m) return { root: dir, branch: null };
        gitDir = isAbsolute(m[1].trim()) ? m[1].trim() : resolve(dir, m[1].trim());
      }
      return { root: dir, branch: readBranch(gitDir) };
    }
    const up = dirname(dir);
    if (up === dir) return { root: null, branch: null };
    dir = up;
  }
}

function readBranch(gitDir: string): string | null {
  const head = safeRead(join(gitDir, 'HEAD'))?.trim();
  if (!head) return null;
  const m = /^ref:\s*refs\/heads\/(.+)$/.exec(head);
  if (m) return m[1];
  return head.length >= 7 ? `detached@${head.slice(0, 7)}` : null;
}

function safeRead(p: string): string | null {
  try { return readFileSync(p, 'utf8'); } catch { return null; }
}
