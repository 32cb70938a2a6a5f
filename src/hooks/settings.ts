// The Claude Code hook configuration that wires a session to claude-peers. One definition serves
// `claude-peers setup-claude`, the VS Code shim's --settings and the plugin's hooks/hooks.json.

export type HookCommand = (event: string) => string;

interface HookEntry { type: 'command'; command: string; timeout: number; async?: boolean; asyncRewake?: boolean }
interface HookGroup { matcher?: string; hooks: HookEntry[] }

/** How long an idle session's waiter may run before Claude Code stops it (the waiter's own limit is 12 h). */
export const WAIT_TIMEOUT_S = 12 * 3600;

const EDIT_MATCHER = 'Edit|Write|MultiEdit|NotebookEdit';

export function hookSettings(command: HookCommand): { hooks: Record<string, HookGroup[]> } {
  const entry = (event: string): HookEntry => ({ type: 'command', command: command(event), timeout: 5 });
  return {
    hooks: {
      SessionStart: [{ hooks: [entry('SessionStart')] }],
      UserPromptSubmit: [{ hooks: [entry('UserPromptSubmit')] }],
      PreToolUse: [{ matcher: `${EDIT_MATCHER}|Bash`, hooks: [entry('PreToolUse')] }],
      // Every tool call, not just edits: each one is a chance to hand over new messages.
      PostToolUse: [{ matcher: '*', hooks: [entry('PostToolUse')] }],
      Stop: [{
        hooks: [
          entry('Stop'),
          // Runs in the background while the session is idle; exits 2 with the messages on stderr
          // when one arrives, which is how Claude Code lets a hook wake a session at its prompt.
          { type: 'command', command: command('wait'), timeout: WAIT_TIMEOUT_S, async: true, asyncRewake: true },
        ],
      }],
      SessionEnd: [{ hooks: [entry('SessionEnd')] }],
    },
  };
}

/** Quotes one argument for the shell Claude Code runs hook commands with. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_/.:=@%+-]+$/.test(s)) return s;
  return process.platform === 'win32' ? `"${s.replace(/"/g, '\\"')}"` : `'${s.replace(/'/g, `'\\''`)}'`;
}
