// The command hook (`claude-peers hook <event>`, and the small dist/hook.js): it hands Claude
// Code's hook input to the broker, which decides everything (service.ts), and prints the answer.
// Only what a process of the session can know is done here: which session it belongs to (its
// key), registering it at SessionStart, and marking read what it printed, once printed whole.
// It never holds a session up: a broker that is down, slow or not ours costs a short timeout and
// nothing is lost (what was not handed over waits for the next hook or check_messages).
import { loadConfig, type PeersConfig } from '../common/config.ts';
import { claudeHomeOf, sessionIdentity } from '../common/identity.ts';
import { sessionKeyFor } from '../common/session-key.ts';
import { isAlive } from '../common/process.ts';
import { BrokerClient, BrokerError } from '../client/broker-client.ts';
import { TOOL_PREFIX_RE, formatMessages } from '../protocol/framing.ts';
import type { CommandHookResponse, RegisterRequest, WaitResponse } from '../protocol/wire.ts';

/** Everything must be done well within Claude Code's patience; the broker answers in ~1 ms. */
const DEADLINE_MS = Number(process.env.CLAUDE_PEERS_HOOK_DEADLINE_MS) || 800;
const MAX_STDIN = 16 * 1024 * 1024;
const EVENTS = new Set(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd', 'Notification']);

export interface HookOutcome { stdout: string; exitCode: number; stderr?: string }

interface Session { cfg: PeersConfig; client: BrokerClient; register: () => Promise<void> }

/** The session this hook process belongs to: its claude process, its key, a client acting with it. */
function session(env: NodeJS.ProcessEnv, input: Record<string, unknown>, timeoutMs: number): Session {
  const cfg = loadConfig(env);
  const claudePid = Number(env.CLAUDE_PID) || process.ppid;
  const cwd = typeof input.cwd === 'string' ? input.cwd : null;
  const sessionId = typeof input.session_id === 'string' ? input.session_id : null;
  const id = sessionIdentity(claudePid, { sessionId, cwd }, env);
  const key = sessionKeyFor(cfg, id.pid, id.pidStart, env);
  const client = BrokerClient.forSession(cfg, key, timeoutMs);
  const register = async () => {
    const body: RegisterRequest = {
      sessionKey: key, pid: id.pid, pidStart: id.pidStart, sessionId: id.sessionId, cwd: id.cwd, gitRoot: id.gitRoot, branch: id.branch,
      terminalId: id.terminalId, preferredName: id.preferredName, channels: env.CLAUDE_PEERS_CHANNELS === '1' ? true : undefined,
      toolPrefix: TOOL_PREFIX_RE.test(env.CLAUDE_PEERS_TOOL_PREFIX ?? '') ? env.CLAUDE_PEERS_TOOL_PREFIX : null, claudeHome: claudeHomeOf(env),
    };
    await client.request('POST', '/peers', body, undefined, client.proofKey);
  };
  return { cfg, client, register };
}

function objectOf(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Runs one hook invocation; resolves with what to print. Never throws. */
export async function handleHook(eventArg: string, stdinText: string, env = process.env): Promise<HookOutcome & { handed: number[]; peer: string | null; client: BrokerClient | null }> {
  const silent = { stdout: '', exitCode: 0, handed: [], peer: null, client: null };
  if (env.CLAUDE_PEERS_DISABLE === '1') return silent;
  const input = objectOf(stdinText) ?? {};
  const event = typeof input.hook_event_name === 'string' && EVENTS.has(input.hook_event_name) ? input.hook_event_name : eventArg;
  if (!EVENTS.has(event)) return silent;
  // The tool's result is not needed and can be megabytes (a Read of a large file).
  delete input.tool_response;
  let s: Session;
  try { s = session(env, input, DEADLINE_MS - 100); } catch { return silent; }
  const query = new URLSearchParams({ handover: 'ack', conflicts: env.CLAUDE_PEERS_CONFLICT_POLICY ?? 'warn', locks: env.CLAUDE_PEERS_LOCK_POLICY ?? 'deny' });
  const post = () => s.client.post<CommandHookResponse>(`/hooks/${event}?${query}`, input);
  try {
    if (event === 'SessionStart') await s.register();
    let r: CommandHookResponse;
    try {
      r = await post();
    } catch (e) {
      // Not registered yet (the MCP server has not started, or the broker's database is new).
      if (!(e instanceof BrokerError && e.status === 401)) throw e;
      await s.register();
      r = await post();
    }
    return { stdout: r.output ? JSON.stringify(r.output) : '', exitCode: 0, handed: r.handed, peer: r.peer, client: s.client };
  } catch (e) {
    s.client.close();
    // Broker down, slow or not ours: the session goes on as if we were not here. At its start it
    // is told so once, plainly, so the model does not wonder why the tools fail.
    if (event !== 'SessionStart') return silent;
    const why = e instanceof BrokerError ? e.message : 'the broker did not answer';
    const text = `[claude-peers] This session is not on the claude-peers network yet: ${why} ` +
      'It joins by itself once the broker is back; until then the claude-peers tools will say they cannot reach it.';
    return { ...silent, stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: text } }) };
  }
}

export interface WaitOptions { maxMs: number; pollMs: number; graceMs: number }

/**
 * The asyncRewake hook (`claude-peers hook wait`, started at Stop): waits in the background while
 * the session is idle and, when a message arrives, exits 2 with the framed messages on stderr —
 * the documented way to wake a session waiting at its prompt. Exits 0 when the session gets busy
 * again, a newer waiter takes over, the session ends, or after maxMs.
 */
export async function waitForWake(stdinText: string, env = process.env, o: WaitOptions = { maxMs: 12 * 3_600_000, pollMs: 60_000, graceMs: 1500 }): Promise<HookOutcome & { stderr: string; handed: number[]; peer: string | null; client: BrokerClient | null }> {
  const quiet = { stdout: '', stderr: '', exitCode: 0, handed: [], peer: null, client: null };
  if (env.CLAUDE_PEERS_DISABLE === '1' || env.CLAUDE_PEERS_REWAKE === '0') return quiet;
  // `claude -p` (entrypoint sdk-cli) ends after its turn but first waits for background hooks
  // (about 30 s, then SIGKILL): a waiter there has no idle session to wake and only delays exit.
  if (env.CLAUDE_CODE_ENTRYPOINT === 'sdk-cli') return quiet;
  let s: Session;
  try { s = session(env, objectOf(stdinText) ?? {}, o.pollMs + 5000); } catch { return quiet; }
  const claudePid = Number(env.CLAUDE_PID) || process.ppid;
  const deadline = Date.now() + o.maxMs;
  while (Date.now() < deadline && isAlive(claudePid)) {
    s.client.refreshSecrets(s.cfg);
    let r: WaitResponse;
    try {
      r = await s.client.post<WaitResponse>('/hooks/wait', { waitMs: Math.min(o.pollMs, deadline - Date.now()) });
    } catch (e) {
      if (e instanceof BrokerError && e.status === 401) await s.register().catch(() => {});
      await new Promise((res) => setTimeout(res, 2000)); // broker restarting: try again
      continue;
    }
    if (r.reason === 'timeout') continue;
    if (r.reason !== 'message' || !r.peer) break;
    let msgs = r.messages;
    if (r.peer.channels) {
      // With channels on, the push itself may already have started a turn: give it a moment.
      await new Promise((res) => setTimeout(res, o.graceMs));
      try {
        const now = await s.client.get<{ peer: { status: string } }>(`/peers/${r.peer.id}`);
        if (now.peer.status === 'working') break;
        msgs = (await s.client.get<{ messages: typeof msgs }>(`/peers/${r.peer.id}/inbox`)).messages.slice(0, msgs.length || 20);
      } catch { break; }
      if (!msgs.length) break;
    }
    return { stdout: '', stderr: formatMessages(msgs), exitCode: 2, handed: msgs.map((m) => m.id), peer: r.peer.id, client: s.client };
  }
  s.client.close();
  return quiet;
}

/** Writes all of `text` and resolves once the OS has it (a pipe to Claude Code may hold only 64 KiB at a time). */
function writeAll(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => { if (!text) resolve(); else stream.write(text, () => resolve()); });
}

/** Marks read what was written out whole (call it once the output is written). */
export async function markRead(out: { handed: number[]; peer: string | null; client: BrokerClient | null }): Promise<void> {
  if (out.handed.length && out.peer && out.client) {
    await out.client.post(`/peers/${out.peer}/ack`, { ids: out.handed, state: 'read' }, 300).catch(() => {});
  }
  out.client?.close();
}

export async function runHook(eventArg: string): Promise<never> {
  if (eventArg === 'wait') {
    const out = await waitForWake(await readStdin(2000));
    await writeAll(process.stderr, out.stderr ? `${out.stderr}\n` : '');
    await markRead(out);
    process.exit(out.exitCode);
  }
  const hard = setTimeout(() => process.exit(0), DEADLINE_MS + 400);
  hard.unref();
  const out = await handleHook(eventArg, await readStdin(DEADLINE_MS / 2));
  await writeAll(process.stdout, out.stdout ? `${out.stdout}\n` : '');
  await markRead(out);
  process.exit(out.exitCode);
}

function readStdin(timeoutMs: number): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve('');
  return new Promise((resolveText) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolveText(Buffer.concat(chunks).toString('utf8'));
    const t = setTimeout(done, timeoutMs);
    process.stdin.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_STDIN) chunks.push(c);
    });
    process.stdin.on('end', () => { clearTimeout(t); done(); });
    process.stdin.on('error', () => { clearTimeout(t); done(); });
  });
}
