// The Claude Code hooks that put a session on the network, in one definition for every layout: the
// VS Code shim and `claude-peers claude` (HTTP hooks on the broker they verified at launch), the
// plugin for other terminals and `setup-claude` (command hooks, each checking the broker itself).
//
// Only the events that fire per prompt or per tool call become HTTP hooks: that is where a hook
// process (~90 ms each) cost a session 200 ms per tool call. SessionStart cannot be one (Claude
// Code refuses it) and registers the session; SessionEnd and Notification fire rarely; the idle
// waiter must be a process (asyncRewake).
import { SESSION_KEY_ENV } from '../protocol/credentials.ts';
import { API_PREFIX } from '../protocol/constants.ts';

interface CommandEntry { type: 'command'; command: string; timeout: number; async?: boolean; asyncRewake?: boolean }
interface HttpEntry { type: 'http'; url: string; headers: Record<string, string>; allowedEnvVars: string[]; timeout: number }
export interface HookGroup { matcher?: string; hooks: (CommandEntry | HttpEntry)[] }
export type HookSettings = { hooks: Record<string, HookGroup[]> };

/** How long an idle session's waiter may run before Claude Code stops it (the waiter's own limit is 12 h). */
export const WAIT_TIMEOUT_S = 12 * 3600;
/** An HTTP hook waits at most this long for the broker: a broker that is down refuses at once. */
export const HTTP_HOOK_TIMEOUT_S = 3;

export const EDIT_MATCHER = 'Edit|Write|MultiEdit|NotebookEdit';
/** The events whose hooks run per prompt or per tool call. */
export const HOT_EVENTS = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop'] as const;

export type HookTransport =
  /** Every hook a process: `command(event)` is its command line (`wait` for the idle waiter). */
  | { kind: 'command'; command: (event: string) => string }
  /** The hot events as HTTP hooks on this port, with these policies; the rest as processes. */
  | { kind: 'http'; port: number; conflicts: string; locks: string; command: (event: string) => string };

/** The URL of an HTTP hook: the policies ride in the query, the session key in a header. */
export function hookUrl(port: number, event: string, conflicts: string, locks: string): string {
  return `http://127.0.0.1:${port}${API_PREFIX}/hooks/${event}?${new URLSearchParams({ conflicts, locks })}`;
}

export function hookSettings(t: HookTransport): HookSettings {
  const command = (event: string): CommandEntry => ({ type: 'command', command: t.command(event), timeout: 5 });
  const hot = (event: string): CommandEntry | HttpEntry => (t.kind === 'http'
    ? {
      type: 'http', url: hookUrl(t.port, event, t.conflicts, t.locks),
      // Claude Code fills $VAR in headers from the session's environment, for the listed names only.
      headers: { Authorization: `Bearer $${SESSION_KEY_ENV}` }, allowedEnvVars: [SESSION_KEY_ENV], timeout: HTTP_HOOK_TIMEOUT_S,
    }
    : command(event));
  return {
    hooks: {
      SessionStart: [{ hooks: [command('SessionStart')] }],
      UserPromptSubmit: [{ hooks: [hot('UserPromptSubmit')] }],
      PreToolUse: [{ matcher: `${EDIT_MATCHER}|Bash`, hooks: [hot('PreToolUse')] }],
      // Every tool call, not just edits: each one is a chance to hand over new messages.
      PostToolUse: [{ matcher: '*', hooks: [hot('PostToolUse')] }],
      Stop: [{
        hooks: [
          hot('Stop'),
          // Runs in the background while the session is idle; exits 2 with the messages on stderr
          // when one arrives, which is how Claude Code lets a hook wake a session at its prompt.
          { type: 'command', command: t.command('wait'), timeout: WAIT_TIMEOUT_S, async: true, asyncRewake: true },
        ],
      }],
      // A permission prompt: the card says "waiting for you" (the session file tells it sooner).
      Notification: [{ hooks: [command('Notification')] }],
      SessionEnd: [{ hooks: [command('SessionEnd')] }],
    },
  };
}

/** Quotes one argument for the POSIX shell Claude Code runs hook commands with (Git Bash on Windows). */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_/.:=@%+-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
