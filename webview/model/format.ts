// Paths, times and text as the panel writes them. Pure functions of their arguments (the clock is
// passed in), shared by every part of the view model.

/** A path with forward slashes, no trailing slash, and a lower-case Windows drive. */
export const norm = (p: string): string => {
  let s = p.replace(/\\/g, '/');
  if (s.length > 1) s = s.replace(/\/+$/, '');
  return /^[a-z]:\//i.test(s) ? s.toLowerCase() : s;
};

/** The last segment of a path. */
export const base = (p: string): string => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || p;

/** `child` relative to `parent` ('' when equal), or null when outside it. */
export function relativeTo(parent: string, child: string): string | null {
  const a = norm(parent), b = norm(child);
  if (a === b) return '';
  const prefix = a.endsWith('/') ? a : a + '/';
  if (!b.startsWith(prefix)) return null;
  return child.replace(/\\/g, '/').slice(prefix.length).replace(/\/+$/, '');
}

/** A short, readable form of a path: relative to a workspace folder, else `~/…`, else as is. */
export function displayPath(path: string, folders: readonly string[], home: string): string {
  for (const f of folders) {
    const rel = relativeTo(f, path);
    if (rel !== null) {
      const head = folders.length > 1 || rel === '' ? base(f) : '';
      return [head, rel].filter(Boolean).join('/');
    }
  }
  if (home) {
    const rel = relativeTo(home, path);
    if (rel !== null) return rel ? `~/${rel}` : '~';
  }
  return path.replace(/\\/g, '/');
}

export function inWorkspace(cwd: string, folders: readonly string[]): boolean {
  // Inside a folder, or working on a parent of one (the repo root of a sub-folder workspace).
  return folders.some((f) => relativeTo(f, cwd) !== null || relativeTo(cwd, f) !== null);
}

/** "42s ago" is too fussy: "now", "3m ago", "2h ago", "4d ago". */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** "in 4m", "in 2h", "expired". */
export function until(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.round((t - now) / 1000);
  if (s <= 0) return 'expired';
  if (s < 60) return 'in <1m';
  if (s < 3600) return `in ${Math.round(s / 60)}m`;
  if (s < 86_400) return `in ${Math.round(s / 3600)}h`;
  return `in ${Math.round(s / 86_400)}d`;
}

/** "14:05" in the webview's time zone. */
export function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** One line of at most `max` characters. */
export function snippet(body: string, max = 80): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Longer messages are folded to a preview. */
export const FOLD_CHARS = 600;
export const FOLD_LINES = 8;

/** The folded preview of a long message, or null when it is short enough to show whole. */
export function foldPreview(body: string): string | null {
  const lines = body.split('\n');
  if (body.length <= FOLD_CHARS && lines.length <= FOLD_LINES) return null;
  let out = lines.slice(0, FOLD_LINES).join('\n');
  if (out.length > FOLD_CHARS) out = out.slice(0, FOLD_CHARS);
  return `${out.trimEnd()}…`;
}

// Prompts Claude Code submits on its own (task notifications, slash-command output, reminders)
// start with a tag: they are not what the human asked the session to do.
const SYNTHETIC_PROMPT = /^\s*(<[a-z][\w-]*(\s[^>]*)?>|caveat: the messages below were generated)/i;

/** The text a card shows as a session's task, or null when there is none worth showing. */
export function taskText(summary: string | null, task: string | null): { text: string; isSummary: boolean } | null {
  const s = summary?.trim();
  if (s) return { text: s, isSummary: true };
  const t = task?.trim();
  if (t && !SYNTHETIC_PROMPT.test(t)) return { text: t, isSummary: false };
  return null;
}

/** "1 reply", "2 replies"; `word` and its plural. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
