// The signs that a `claude` started in one of this window's terminals without the peer network,
// with no vscode import (unit-tested): which command lines start a session, what the processes
// under a terminal's shell say (Linux /proc), and what to tell the user in each case.
import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { shouldPassThrough } from '../client/claude-launch.ts';

/**
 * The arguments of a command line that starts an interactive or print-mode claude session, or
 * null (another command, or a claude management command such as `claude mcp list` or
 * `claude --version`, which never joins the network). Leading `VAR=value` words and `command`,
 * `exec`, `env`, `nohup`, `time` are skipped; quoting is read loosely, which is enough for a name.
 */
export function claudeSessionArgs(commandLine: string): string[] | null {
  const words = commandLine.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/^['"]|['"]$/g, ''));
  let i = 0;
  while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]) || ['command', 'exec', 'env', 'nohup', 'time', 'builtin'].includes(words[i]))) i++;
  const cmd = words[i];
  if (!cmd || !/^claude(\.exe|\.cmd|\.bat)?$/i.test(basename(cmd.replace(/\\/g, '/')))) return null;
  const rest = words.slice(i + 1);
  // A pipeline or a list after the command: only its own arguments count.
  const end = rest.findIndex((w) => ['|', '||', '&&', ';', '&'].includes(w));
  const args = end < 0 ? rest : rest.slice(0, end);
  return shouldPassThrough(args) ? null : args;
}

/** One process as /proc shows it. */
export interface ProcInfo { pid: number; ppid: number; comm: string; cmdline: string }

/** Every process of the machine with its parent (Linux; empty elsewhere or on error). */
export function readProcTable(): ProcInfo[] {
  if (process.platform !== 'linux') return [];
  const out: ProcInfo[] = [];
  let entries: string[];
  try { entries = readdirSync('/proc'); } catch { return out; }
  for (const e of entries) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      let cmdline = '';
      try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { /* gone */ }
      out.push({ pid, ppid, comm, cmdline });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** The processes below `root` (children, grandchildren…), nearest first. */
export function descendantsOf(root: number, table: ProcInfo[]): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = [root];
  const seen = new Set(queue);
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** Whether a process looks like Claude Code itself (not our shim, MCP server or hooks). */
export function looksLikeClaude(p: ProcInfo): boolean {
  if (/claude-peers|claude-shim|dist[/\\]cli\.js (mcp|hook|claude-shim)/.test(p.cmdline)) return false;
  if (/^claude(\.exe)?$/.test(p.comm)) return true;
  const argv = p.cmdline.split(' ');
  return argv.slice(0, 2).some((a) => /^claude(\.exe)?$/.test(basename(a)) || /@anthropic-ai[/\\]claude-code[/\\]cli\.js$/.test(a));
}

/** One variable of a process's initial environment (Linux, same user), or undefined. */
export function environOf(pid: number, name: string): string | undefined {
  try {
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      if (kv.startsWith(`${name}=`)) return kv.slice(name.length + 1);
    }
  } catch { /* not readable */ }
  return undefined;
}

/**
 * What the processes under a terminal's shell say about its claude sessions:
 * 'joined' when one was started by our shim (CLAUDE_PEERS_SHIM_ACTIVE=1 in its environment),
 * 'bypassed' when a claude runs that the shim did not start, 'none' when no claude runs,
 * 'unknown' where /proc cannot tell (not Linux).
 */
export function claudeUnderShell(shellPid: number, table = readProcTable(), env = environOf): { verdict: 'joined' | 'bypassed' | 'none' | 'unknown'; pid?: number } {
  if (!table.length) return { verdict: 'unknown' };
  const claudes = descendantsOf(shellPid, table).filter(looksLikeClaude);
  if (!claudes.length) return { verdict: 'none' };
  const joined = claudes.find((p) => env(p.pid, 'CLAUDE_PEERS_SHIM_ACTIVE') === '1');
  if (joined) return { verdict: 'joined', pid: joined.pid };
  return { verdict: 'bypassed', pid: claudes[0].pid };
}

/** Why a terminal's claude missed the shim, as far as the extension can tell. */
export type BypassCause =
  /** The terminal's shell started before the extension put its folder on the terminal PATH. */
  | 'stale-terminal'
  /** A startup file changed PATH and shell integration (which re-applies ours after it) is not running. */
  | 'no-shell-integration'
  /** Shell integration ran, yet another claude came first (an alias, a function, a later PATH change). */
  | 'shadowed';

export interface BypassAdvice { message: string; actions: ('Relaunch Terminal' | 'Copy Setup' | 'Open Setting')[] }

/** The one warning, in words that say what happened and what to do. */
export function bypassAdvice(cause: BypassCause, terminalName: string): BypassAdvice {
  const head = `Claude Peers: claude in the terminal "${terminalName}" started without the peer network`;
  switch (cause) {
    case 'stale-terminal':
      return {
        message: `${head}: the terminal was opened before Claude Peers set up its PATH. Relaunch the terminal (this ends what runs in it) and start claude again, or Copy Setup to put every claude of yours on the network with one command.`,
        actions: ['Relaunch Terminal', 'Copy Setup'],
      };
    case 'no-shell-integration':
      return {
        message: `${head}: a shell startup file (for example ~/.bashrc putting ~/.local/bin first) changed PATH after VS Code set it, and shell integration, which puts the Claude Peers shim back in front, is not running in this terminal. Copy Setup puts every claude of yours on the network with one command; or turn on the setting terminal.integrated.shellIntegration.enabled and open a new terminal.`,
        actions: ['Copy Setup', 'Open Setting'],
      };
    case 'shadowed':
      return {
        message: `${head}: something in the shell runs another claude before the Claude Peers shim (an alias, a function, or a PATH change after startup; \`type -a claude\` shows which). Copy Setup puts every claude of yours on the network with one command.`,
        actions: ['Copy Setup'],
      };
  }
}
