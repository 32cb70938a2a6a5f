// Claude Code's own view of its sessions: every session (interactive or -p) writes
// <claude home>/sessions/<pid>.json with its id, folder, name, status (idle, busy, waiting for the
// user) and the Unix socket of its cross-session inbox. The broker reads these files to show
// sessions that run without claude-peers ("native" peers), to know sooner than any hook when one
// of ours waits for its user, and to hand a message straight into an idle session's inbox.
//
// The inbox is Claude Code's undocumented protocol, and Claude Code can switch it off: an optional
// accelerator only. Everything it carries is also in the store, and hooks or the idle waiter hand
// over whatever it did not.
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, readdirSync, readSync } from 'node:fs';
import net from 'node:net';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import { claudeHomeOf } from '../common/identity.ts';
import type { PeerStatus } from '../protocol/wire.ts';
import { SESSION_KEY_ENV } from '../protocol/credentials.ts';

export interface SessionFile {
  pid: number;
  sessionId: string | null;
  cwd: string;
  name: string | null;
  status: PeerStatus | null;
  socket: string | null;
  procStart: string | null;
}

/** The Claude Code homes to read besides those our peers name: this user's, and CLAUDE_PEERS_CLAUDE_HOMES (a path list). */
export function claudeHomesOf(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.CLAUDE_PEERS_CLAUDE_HOMES ?? '').split(delimiter).filter((p) => p && isAbsolute(p));
  return [claudeHomeOf(env), ...extra];
}

const STATUS: Record<string, PeerStatus> = { idle: 'idle', busy: 'working', waiting: 'waiting' };

function readSmall(path: string, max: number): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > max) return null;
    const buf = Buffer.alloc(st.size);
    readSync(fd, buf, 0, st.size, 0);
    return buf.toString('utf8');
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Whether our launcher (the VS Code shim, `claude-peers claude`) started this process: its
 * environment holds a session key, so its MCP server registers it in a moment. Linux only (/proc,
 * readable for the user's own processes); elsewhere false.
 */
export function launchedByUs(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const env = readFileSync(`/proc/${pid}/environ`);
    const at = env.indexOf(`${SESSION_KEY_ENV}=`);
    return at === 0 || (at > 0 && env[at - 1] === 0);
  } catch {
    return false;
  }
}

/** The session files in `<claude home>/sessions`, read defensively (anything odd is skipped). */
export function readSessionFiles(claudeHome: string): SessionFile[] {
  const dir = join(claudeHome, 'sessions');
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  const out: SessionFile[] = [];
  for (const n of names.slice(0, 2000)) {
    const m = /^(\d{1,10})\.json$/.exec(n);
    if (!m) continue;
    const text = readSmall(join(dir, n), 64 * 1024);
    if (!text) continue;
    let f: Record<string, unknown>;
    try { f = JSON.parse(text) as Record<string, unknown>; } catch { continue; }
    if (!f || typeof f !== 'object' || f.pid !== Number(m[1]) || typeof f.cwd !== 'string' || !isAbsolute(f.cwd)) continue;
    const str = (v: unknown, max = 4096) => (typeof v === 'string' && v.length <= max ? v : null);
    out.push({
      pid: f.pid as number,
      sessionId: str(f.sessionId, 200),
      cwd: f.cwd,
      name: str(f.name, 200),
      status: STATUS[String(f.status)] ?? null,
      socket: inboxSocketOf(str(f.messagingSocketPath), f.pid as number),
      procStart: str(f.procStart, 64),
    });
  }
  return out;
}

/**
 * The inbox socket of a session, only when it looks like Claude Code's own (…/cc-socks/<pid>.sock,
 * a socket of this user's): a session file is no licence to make the broker write into any socket.
 */
export function inboxSocketOf(path: string | null, pid: number): string | null {
  if (!path || !isAbsolute(path) || basename(path) !== `${pid}.sock` || basename(dirname(path)) !== 'cc-socks') return null;
  try {
    const st = lstatSync(path);
    if (!st.isSocket()) return null;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return null;
  } catch {
    return null;
  }
  return path;
}

/** Writes one user message into a session's inbox; resolves true once it was written whole. */
export function writeInbox(socket: string, content: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const line = `${JSON.stringify({ type: 'user', message: { role: 'user', content } })}\n`;
    const s = net.connect({ path: socket });
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, timeoutMs);
    s.once('error', () => { clearTimeout(timer); resolve(false); });
    s.once('connect', () => s.end(line, () => { clearTimeout(timer); resolve(true); }));
  });
}
