// Who "this session" is. The claude process's pid is the key both the MCP server (its parent) and
// the hooks (CLAUDE_PID in their env) know; the session id changes on /clear for hooks but not for
// the MCP server, so it is only a label, refreshed from $HOME/.claude/sessions/<pid>.json.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { processStart } from './process.ts';
import { gitInfo } from './git.ts';

export interface ClaudeSessionFile { sessionId?: string; cwd?: string; name?: string; status?: string }

/** Where Claude Code keeps its files for this environment ($CLAUDE_CONFIG_DIR, else ~/.claude). */
export function claudeHomeOf(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
}

export function readSessionFile(pid: number, env: NodeJS.ProcessEnv = process.env): ClaudeSessionFile | null {
  const home = claudeHomeOf(env);
  try {
    return JSON.parse(readFileSync(join(home, 'sessions', `${pid}.json`), 'utf8')) as ClaudeSessionFile;
  } catch {
    return null;
  }
}

export interface SessionIdentity {
  pid: number;
  pidStart: string | null;
  sessionId: string | null;
  cwd: string;
  gitRoot: string | null;
  branch: string | null;
  terminalId: string | null;
  preferredName: string | null;
  tty: string | null;
}

/**
 * The identity of the claude session this process belongs to. `claudePid` is the MCP server's
 * parent or a hook's CLAUDE_PID; CLAUDE_PEERS_CLAUDE_PID overrides both (tests, wrappers).
 */
export function sessionIdentity(claudePid: number, opts: { sessionId?: string | null; cwd?: string | null } = {}, env = process.env): SessionIdentity {
  const pid = Number(env.CLAUDE_PEERS_CLAUDE_PID) || claudePid;
  const file = readSessionFile(pid, env);
  const cwd = opts.cwd || file?.cwd || env.CLAUDE_PROJECT_DIR || process.cwd();
  const git = gitInfo(cwd);
  return {
    pid,
    pidStart: processStart(pid),
    sessionId: file?.sessionId ?? opts.sessionId ?? env.CLAUDE_CODE_SESSION_ID ?? null,
    cwd,
    gitRoot: git.root,
    branch: git.branch,
    terminalId: env.CLAUDE_PEERS_TERMINAL_ID || null,
    preferredName: file?.name || env.CLAUDE_PEERS_NAME || null,
    tty: null,
  };
}
