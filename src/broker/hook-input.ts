// What a Claude Code hook's input says, read defensively: the JSON Claude Code sent (from an HTTP
// hook, or through our command hook), the file a tool touches, and which of our channel pushes
// the model has already seen. Everything here may come from a careless or hostile session, so
// nothing blocks (a FIFO as transcript), nothing reads without bound, and a channel frame only
// counts when it carries the broker's seal for that message and that recipient.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { HookInput } from '../protocol/wire.ts';

export const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);

/** The input as a plain object: anything that is not a JSON object is an empty input, wrong types dropped. */
export function parseHookInput(raw: unknown): HookInput {
  let value = raw;
  if (typeof raw === 'string') {
    try { value = JSON.parse(raw); } catch { return {}; }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const r = HookInput.safeParse(value);
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

/** The shell command of a Bash tool call, or null. */
export function bashCommand(input: HookInput): string | null {
  return input.tool_name === 'Bash' && typeof input.tool_input?.command === 'string' ? input.tool_input.command.slice(0, 100_000) : null;
}

/** A channel frame the model saw: the message id and the seal it carried (empty when none). */
export interface SeenFrame { id: number; seal: string }

/**
 * Channel frames of ours in the prompt (a push that started the turn) or the transcript's tail (a
 * push during the turn): `<channel source="claude-peers" … message_id="N" … seal="S">`. In the
 * transcript the quotes are JSON-escaped. The caller verifies each seal.
 */
export function seenFrames(input: HookInput, transcriptBytes = 512 * 1024): SeenFrame[] {
  const found = new Map<number, string>();
  const scan = (text: string) => {
    // A channel push, or a message written into the session's inbox (a <peer-message> with a seal).
    const re = /<(channel source=\\*"claude-peers\\*"|peer-message )([^>]{0,2000})>/g;
    let m;
    while ((m = re.exec(text))) {
      const id = /(?:message_id|\bid)=\\*"(\d{1,15})\\*"/.exec(m[2]);
      const seal = /seal=\\*"([0-9a-f]{1,64})\\*"/.exec(m[2]);
      if (id && (seal || m[1].startsWith('channel'))) found.set(Number(id[1]), seal?.[1] ?? '');
    }
  };
  if (input.prompt) scan(input.prompt.slice(-transcriptBytes));
  if (input.transcript_path) scan(readTail(input.transcript_path, transcriptBytes));
  return [...found].map(([id, seal]) => ({ id, seal }));
}

/** The last `bytes` of a regular file; '' for anything else (a FIFO must never block us). */
export function readTail(path: string, bytes: number): string {
  if (!isAbsolute(path) || path.includes('\0')) return '';
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile()) return '';
    const len = Math.min(st.size, bytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, st.size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The first line of a prompt the user typed, as a task; null for prompts Claude Code or we made. */
export function taskFromPrompt(prompt: string | undefined): string | null {
  if (!prompt) return null;
  const first = prompt.split('\n').map((l) => l.trim()).find(Boolean);
  if (!first) return null;
  // A channel push, a background task's notification, a wake-up prompt of ours, a slash command's
  // expansion: none of these is the user saying what the session works on.
  if (/^<(channel|task-notification|command-name|command-message|local-command|system-reminder|bash-)/i.test(first)) return null;
  if (first.startsWith('[claude-peers]')) return null;
  return first.slice(0, 200);
}
