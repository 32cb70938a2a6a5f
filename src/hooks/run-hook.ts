// `claude-peers hook <event>`: the Claude Code hook entry. Reads the hook JSON on stdin, tells the
// broker (one round trip), and prints what Claude Code should hand to the model. It never blocks
// or fails a session: a hard deadline, and silent success when anything goes wrong.
import { realpathSync, openSync, readSync, fstatSync, closeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../common/config.ts';
import { sessionIdentity } from '../common/identity.ts';
import { BrokerClient } from '../client/broker-client.ts';
import { conflictWarning, describePeer, formatMessages } from '../protocol/framing.ts';
import { HookEventName, type HookRequest, type HookResponse, type InboxResponse, type Peer, type WaitResponse } from '../protocol/wire.ts';
import { isAlive } from '../common/process.ts';

/** Everything must be done well within Claude Code's patience; the broker answers in ~1 ms. */
const DEADLINE_MS = Number(process.env.CLAUDE_PEERS_HOOK_DEADLINE_MS) || 800;
const MAX_STDIN = 4 * 1024 * 1024;
const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);

/** The parts of Claude Code's hook input we read; anything else is ignored, wrong types dropped. */
const HookInput = z.object({
  session_id: z.string().max(200).optional().catch(undefined),
  transcript_path: z.string().max(4096).optional().catch(undefined),
  cwd: z.string().max(4096).optional().catch(undefined),
  hook_event_name: z.string().max(64).optional().catch(undefined),
  prompt: z.string().optional().catch(undefined),
  source: z.string().max(40).optional().catch(undefined),
  tool_name: z.string().max(200).optional().catch(undefined),
  tool_input: z.record(z.unknown()).optional().catch(undefined),
  stop_hook_active: z.boolean().optional().catch(undefined),
}).passthrough();
type HookInput = z.infer<typeof HookInput>;

export interface HookOutcome { stdout: string; exitCode: number }

/** Parses stdin text leniently: anything that is not a JSON object is an empty input. */
export function parseHookInput(text: string): HookInput {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return {}; }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const r = HookInput.safeParse(raw);
  return r.success ? r.data : {};
}

/** The file a tool touches, absolute and with symlinks resolved (so two peers agree on it). */
export function toolFilePath(input: HookInput, cwd: string): string | null {
  const ti = input.tool_input ?? {};
  const p = typeof ti.file_path === 'string' ? ti.file_path : typeof ti.notebook_path === 'string' ? ti.notebook_path : null;
  if (!p || p.length > 4096 || p.includes('\0')) return null;
  const abs = isAbsolute(p) ? resolve(p) : resolve(cwd, p);
  try { return realpathSync.native(abs); } catch { /* a file about to be created */ }
  try { return join(realpathSync.native(dirname(abs)), basename(abs)); } catch { return abs; }
}

/**
 * Ids of our messages the model has already seen through a channel push: they appear as
 * <channel source="claude-peers" … message_id="N"> in the prompt (a push that started the turn)
 * or in the transcript's tail (a push during the turn). Those are not handed over again.
 */
export function seenMessageIds(input: HookInput): number[] {
  const ids = new Set<number>();
  const scan = (text: string) => {
    const re = /<channel source=\\*"claude-peers\\*"([^>]{0,2000})>/g;
    let m;
    while ((m = re.exec(text))) {
      const id = /message_id=\\*"(\d+)\\*"/.exec(m[1]);
      if (id) ids.add(Number(id[1]));
    }
  };
  if (input.prompt) scan(input.prompt);
  if (input.transcript_path) scan(readTail(input.transcript_path, 512 * 1024));
  return [...ids];
}

function readTail(path: string, bytes: number): string {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function context(event: string, text: string): string {
  return JSON.stringify({ hookSpecificOutput: { hookEventName: event, additionalContext: text } });
}

/** Turns the broker's answer into Claude Code's hook output for this event. */
export function renderOutcome(event: string, input: HookInput, res: HookResponse, policy: string, lockPolicy = 'deny'): HookOutcome {
  const msgs = res.messages;
  switch (event) {
    case 'SessionStart': {
      const others = (res.peers ?? []).filter((p) => p.status !== 'gone');
      const parts = [`[claude-peers] You are "${res.peer.name}" on the claude-peers network of Claude Code sessions on this machine` +
        ` (tools: mcp__claude-peers__*). ${others.length ? `${others.length} other peer(s) around:` : 'No other peers right now.'}`];
      for (const p of others.slice(0, 20)) parts.push(describePeer(p));
      // After compaction or resume the model has forgotten what it held: remind it.
      for (const l of res.locks ?? []) {
        parts.push(l.holder?.id === res.peer.id
          ? `You hold the lock "${l.name}" (${l.holder.reason ?? 'no reason'}) until ${l.holder.expiresAt}; release it with mcp__claude-peers__release_lock when done.`
          : `You are waiting for the lock "${l.name}".`);
      }
      for (const c of res.claims ?? []) parts.push(`You claimed ${c.pattern} (${c.reason ?? 'no reason'}) until ${c.expiresAt}.`);
      if (msgs.length) parts.push(formatMessages(msgs));
      return { stdout: context(event, parts.join('\n')), exitCode: 0 };
    }
    case 'UserPromptSubmit':
    case 'PostToolUse':
      return { stdout: msgs.length ? context(event, formatMessages(msgs)) : '', exitCode: 0 };
    case 'Stop':
      // Keep the session going once with what arrived during the turn, instead of letting it wait.
      if (msgs.length && !input.stop_hook_active) {
        return { stdout: JSON.stringify({ decision: 'block', reason: formatMessages(msgs) }), exitCode: 0 };
      }
      return { stdout: '', exitCode: 0 };
    case 'PreToolUse': {
      if (res.lockBlocked?.holder && lockPolicy !== 'off') {
        const h = res.lockBlocked.holder;
        const why = `[claude-peers] The lock "${res.lockBlocked.name}" is held by peer ${h.name} since ${h.acquiredAt} (${h.reason ?? 'no reason given'}). ` +
          'Running this command now could collide with theirs: wait a little and retry, or ask them with mcp__claude-peers__send_message.';
        if (lockPolicy === 'warn') return { stdout: context(event, why), exitCode: 0 };
        return { stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: event, permissionDecision: lockPolicy === 'ask' ? 'ask' : 'deny', permissionDecisionReason: why } }), exitCode: 0 };
      }
      if (!res.conflicts.length || policy === 'off') return { stdout: '', exitCode: 0 };
      const warning = res.conflicts.map(conflictWarning).join('\n');
      if (policy === 'ask' || policy === 'deny') {
        return {
          stdout: JSON.stringify({ hookSpecificOutput: { hookEventName: event, permissionDecision: policy, permissionDecisionReason: warning } }),
          exitCode: 0,
        };
      }
      return { stdout: context(event, warning), exitCode: 0 };
    }
    default:
      return { stdout: '', exitCode: 0 };
  }
}

/** Runs one hook invocation; resolves with what to print. Never throws. */
export async function handleHook(eventArg: string, stdinText: string, env = process.env): Promise<HookOutcome> {
  const silent: HookOutcome = { stdout: '', exitCode: 0 };
  const input = parseHookInput(stdinText);
  const ev = HookEventName.safeParse(input.hook_event_name ?? eventArg);
  if (!ev.success) return silent;
  const event = ev.data;
  if (env.CLAUDE_PEERS_DISABLE === '1') return silent;

  const claudePid = Number(env.CLAUDE_PID) || process.ppid;
  const id = sessionIdentity(claudePid, { sessionId: input.session_id, cwd: input.cwd }, env);
  const filePath = input.tool_name && EDIT_TOOLS.has(input.tool_name) ? toolFilePath(input, id.cwd) : null;
  // Only edits matter to PreToolUse/PostToolUse beyond message delivery.
  const req: HookRequest = {
    event, pid: id.pid, pidStart: id.pidStart, sessionId: input.session_id ?? id.sessionId, cwd: id.cwd,
    gitRoot: id.gitRoot, branch: id.branch, terminalId: id.terminalId,
    prompt: event === 'UserPromptSubmit' ? input.prompt?.slice(0, 200_000) : undefined,
    source: input.source, toolName: input.tool_name, filePath,
    seenIds: event === 'PreToolUse' ? undefined : seenMessageIds(input).slice(-10_000),
    stopHookActive: input.stop_hook_active,
    command: input.tool_name === 'Bash' && typeof input.tool_input?.command === 'string' ? input.tool_input.command.slice(0, 100_000) : undefined,
  };
  let cfg;
  try { cfg = loadConfig(env); } catch { return silent; }
  const client = BrokerClient.fromConfig(cfg, DEADLINE_MS - 100);
  if (!client.token) return silent;
  try {
    const res = await client.post<HookResponse>('/hooks', req);
    const out = renderOutcome(event, input, res, env.CLAUDE_PEERS_CONFLICT_POLICY ?? 'warn', env.CLAUDE_PEERS_LOCK_POLICY ?? 'deny');
    // Read only once handed over: what we print now reaches the model with this hook's result.
    const handed = out.stdout && event !== 'PreToolUse' ? res.messages.map((m) => m.id) : [];
    if (handed.length) await client.post(`/peers/${res.peer.id}/ack`, { ids: handed, state: 'read' }, 200).catch(() => {});
    return out;
  } catch {
    return silent; // broker down or slow: the session goes on as if we were not here
  } finally {
    client.close();
  }
}

export interface WaitOptions { maxMs: number; pollMs: number; graceMs: number }

/**
 * The asyncRewake hook (`claude-peers hook wait`, started at Stop): waits in the background while
 * the session is idle and, when a message arrives, exits 2 with the framed messages on stderr —
 * the documented way to wake a session waiting at its prompt. Exits 0 when the session gets busy
 * again, a newer waiter takes over, the session ends, or after maxMs.
 */
export async function waitForWake(stdinText: string, env = process.env, o: WaitOptions = { maxMs: 12 * 3_600_000, pollMs: 60_000, graceMs: 1500 }): Promise<HookOutcome & { stderr: string }> {
  const quiet = { stdout: '', stderr: '', exitCode: 0 };
  if (env.CLAUDE_PEERS_DISABLE === '1' || env.CLAUDE_PEERS_REWAKE === '0') return quiet;
  // `claude -p` (entrypoint sdk-cli) ends after its turn but first waits for background hooks
  // (about 30 s, then SIGKILL): a waiter there has no idle session to wake and only delays exit.
  if (env.CLAUDE_CODE_ENTRYPOINT === 'sdk-cli') return quiet;
  const input = parseHookInput(stdinText);
  const claudePid = Number(env.CLAUDE_PID) || process.ppid;
  const id = sessionIdentity(claudePid, { sessionId: input.session_id, cwd: input.cwd }, env);
  let cfg;
  try { cfg = loadConfig(env); } catch { return quiet; }
  const client = BrokerClient.fromConfig(cfg, o.pollMs + 5000);
  const deadline = Date.now() + o.maxMs;
  try {
    while (Date.now() < deadline && isAlive(id.pid)) {
      client.refreshToken(cfg);
      let r: WaitResponse;
      try {
        r = await client.post<WaitResponse>('/hooks/wait', { pid: id.pid, pidStart: id.pidStart, waitMs: Math.min(o.pollMs, deadline - Date.now()) });
      } catch {
        await new Promise((res) => setTimeout(res, 2000)); // broker restarting: try again
        continue;
      }
      if (r.reason === 'timeout') continue;
      if (r.reason !== 'message' || !r.peer) return quiet;
      let msgs = r.messages;
      if (r.peer.channels) {
        // With channels on, the push itself may already have started a turn: give it a moment.
        await new Promise((res) => setTimeout(res, o.graceMs));
        const now = await client.get<{ peer: Peer }>(`/peers/${r.peer.id}`);
        if (now.peer.status === 'working') return quiet;
        msgs = (await client.get<InboxResponse>(`/peers/${r.peer.id}/inbox`)).messages;
        if (!msgs.length) return quiet;
      }
      await client.post(`/peers/${r.peer.id}/ack`, { ids: msgs.map((m) => m.id), state: 'read' }).catch(() => {});
      return { stdout: '', stderr: formatMessages(msgs), exitCode: 2 };
    }
    return quiet;
  } finally {
    client.close();
  }
}

export async function runHook(eventArg: string): Promise<never> {
  if (eventArg === 'wait') {
    const text = await readStdin(2000);
    const out = await waitForWake(text);
    if (out.stderr) process.stderr.write(out.stderr + '\n');
    process.exit(out.exitCode);
  }
  const hard = setTimeout(() => process.exit(0), DEADLINE_MS + 150);
  hard.unref();
  const text = await readStdin(DEADLINE_MS / 2);
  const out = await handleHook(eventArg, text);
  if (out.stdout) process.stdout.write(out.stdout + '\n');
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

