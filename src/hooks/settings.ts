// The Claude Code hook configuration that wires a session to claude-peers. One definition serves
// `claude-peers setup-claude`, the VS Code shim's --settings and the plugin's hooks/hooks.json.

export type HookCommand = (event: string) => string;

interface HookEntry { type: 'command'; command: string; timeout: number; async?: boolean; asyncRewake?: boolean }
interface HookGroup { matcher?: string; hooks: HookEntry[] }

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
      Stop: [{ hooks: [entry('Stop')] }],
      SessionEnd: [{ hooks: [entry('SessionEnd')] }],
    },
  };
}

/** Quotes one argument for the shell Claude Code runs hook commands with. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_\/.:=@%+-]+$/.test(s)) return s;
  return process.platform === 'win32' ? `"${s.replace(/"/g, '\\"')}"` : `'${s.replace(/'/g, `'\\''`)}'`;
}
