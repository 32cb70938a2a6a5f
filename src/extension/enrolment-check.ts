// Notices a `claude` in one of this window's terminals that started without the peer network, and
// says so once, with a fix. The shim goes first on PATH twice (when the terminal's process is
// created, and again after the shell's startup files where shell integration runs), so this is
// for what is left: shell integration off or not running, a terminal older than the extension, an
// alias or function. Two signs that a claude started in a terminal: shell integration reports the
// command line (window.onDidStartTerminalShellExecution), or Claude Code writes its session file
// (<claude config dir>/sessions/<pid>.json) for a process below the terminal's shell. A session
// that does not register with the broker within a few seconds, from a terminal whose claude our
// shim did not start (Linux: its environment; elsewhere: it is still running), is warned about.
import * as vscode from 'vscode';
import { watch, existsSync, readdirSync, type FSWatcher } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PeerDirectory } from '../client/directory.ts';
import { isAlive } from '../common/process.ts';
import type { Settings } from './settings.ts';
import type { Peer } from '../protocol/wire.ts';
import { bypassAdvice, claudeSessionArgs, claudeUnderShell, environOf, readProcTable, descendantsOf, type BypassCause } from './enrolment-signs.ts';

/** How long a claude may take to register with the broker before it counts as off the network. */
export const REGISTER_WITHIN_MS = 15_000;

interface Pending { timer: NodeJS.Timeout; what: string; since: number; execution?: vscode.TerminalShellExecution }

export interface EnrolmentCheckOptions {
  directory: PeerDirectory;
  settings: () => Settings;
  /** Whether a broker serves (without one no session can register: that problem is shown elsewhere). */
  brokerUp: () => boolean;
  /** The folder the shim lives in, first on the terminals' PATH. */
  binDir: string;
  log: vscode.LogOutputChannel;
  /** The command that copies the one-line setup for every claude of the user. */
  copySetupCommand: string;
  registerWithinMs?: number;
  /** Claude Code's session files (CLAUDE_CONFIG_DIR or ~/.claude, then sessions/). */
  sessionsDir?: string;
}

export class EnrolmentCheck implements vscode.Disposable {
  private warned = false;
  private readonly pending = new Map<vscode.Terminal, Pending>();
  private readonly ended = new WeakSet<vscode.TerminalShellExecution>();
  private readonly disposables: vscode.Disposable[] = [];
  private watcher: FSWatcher | null = null;
  private watching: string | null = null;
  private readonly sessionsDir: string;
  /** Claude processes already decided on (joined, or warned about). */
  private readonly decided = new Set<number>();

  constructor(private readonly o: EnrolmentCheckOptions) {
    this.sessionsDir = o.sessionsDir ?? join(process.env.CLAUDE_CONFIG_DIR || join(homedir(), '.claude'), 'sessions');
    this.disposables.push(
      vscode.window.onDidStartTerminalShellExecution((e) => {
        const line = e.execution.commandLine.value;
        if (claudeSessionArgs(line)) this.expect(e.terminal, `"${line}"`, e.execution);
      }),
      vscode.window.onDidEndTerminalShellExecution((e) => { this.ended.add(e.execution); }),
      vscode.window.onDidCloseTerminal((t) => this.settle(t, null)),
    );
    const sub = o.directory.onChange((c) => {
      if (c.kind === 'peer' || c.kind === 'reset') for (const t of [...this.pending.keys()]) void this.check(t, false);
    });
    this.disposables.push({ dispose: () => sub.dispose() });
    this.watchSessions();
  }

  /**
   * Follows Claude Code's session files. Until the folder exists (the first claude of a user makes
   * it) the nearest existing folder above it is watched instead, and the files already there when
   * it appears are looked at once.
   */
  private watchSessions(): void {
    const target = this.sessionsDir;
    const ready = existsSync(target);
    const dir = ready ? target : [dirname(target), dirname(dirname(target)), homedir()].find((d) => existsSync(d));
    if (!dir || (this.watcher && this.watching === dir)) return;
    this.watcher?.close();
    this.watcher = null;
    try {
      this.watcher = watch(dir, (_event, name) => {
        if (!ready) {
          // Something changed on the way to the folder: watch the nearest existing one again.
          this.watchSessions();
          if (this.watching === target) this.scanSessions();
          return;
        }
        const m = /^(\d+)\.json$/.exec(String(name ?? ''));
        if (m) void this.onSessionFile(Number(m[1]));
      });
      this.watching = dir;
      this.watcher.on('error', () => { this.watcher?.close(); this.watcher = null; this.watching = null; });
    } catch (e) {
      this.watching = null;
      this.o.log.debug(`[enrolment] not following ${dir}: ${(e as Error).message}`);
    }
  }

  /** The session files of live processes, looked at once (the folder just appeared). */
  private scanSessions(): void {
    let names: string[];
    try { names = readdirSync(this.sessionsDir); } catch { return; }
    for (const n of names) {
      const m = /^(\d+)\.json$/.exec(n);
      if (m && isAlive(Number(m[1]))) void this.onSessionFile(Number(m[1]));
    }
  }

  private async onSessionFile(claudePid: number): Promise<void> {
    // Claude Code rewrites its file on every status change: one decision per session is enough.
    if (this.decided.has(claudePid)) return;
    const table = readProcTable();
    if (!table.length) return; // which terminal it runs in is only known from /proc
    for (const t of vscode.window.terminals) {
      const shell = await t.processId;
      if (shell && descendantsOf(shell, table).some((p) => p.pid === claudePid)) {
        this.expect(t, `pid ${claudePid}`);
        return;
      }
    }
  }

  /** A claude session started in `terminal`: decide now if we can, else when it registers or the bound passes. */
  private expect(terminal: vscode.Terminal, what: string, execution?: vscode.TerminalShellExecution): void {
    if (!this.o.settings().enrol) return;
    this.watchSessions();
    const had = this.pending.get(terminal);
    if (had) {
      had.execution ??= execution;
    } else {
      const timer = setTimeout(() => void this.check(terminal, true), this.o.registerWithinMs ?? REGISTER_WITHIN_MS);
      timer.unref?.();
      this.pending.set(terminal, { timer, what, since: Date.now(), execution });
    }
    void this.check(terminal, false);
  }

  private settle(terminal: vscode.Terminal, line: string | null): void {
    const p = this.pending.get(terminal);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(terminal);
    if (line) this.o.log.info(`[enrolment] ${line}`);
  }

  private async check(terminal: vscode.Terminal, final: boolean): Promise<void> {
    const p = this.pending.get(terminal);
    if (!p) return;
    const shellPid = await terminal.processId;
    if (!shellPid) return this.settle(terminal, null);
    const seen = claudeUnderShell(shellPid);
    const about = `claude ${p.what} in the terminal "${terminal.name}"`;
    const done = (line: string) => {
      if (seen.pid !== undefined) this.decided.add(seen.pid);
      this.settle(terminal, line);
    };
    const live = this.enrolledPeers();
    if (live.some((peer) => peer.terminalId === `shell-pid:${shellPid}` || (seen.pid !== undefined && peer.pid === seen.pid))) {
      return done(`${about} joined the peer network.`);
    }
    if (seen.verdict === 'unknown' && await this.joinedSince(p.since, terminal)) {
      return done(`${about} is taken to have joined: a session registered since it started and no other terminal of this window claims it.`);
    }
    if (seen.verdict === 'joined') return done(`${about} was started by the Claude Peers shim (pid ${seen.pid}); it registers once its MCP server is up.`);
    if (!final) return;
    if (!this.o.brokerUp()) return done(`${about} has not registered, but no broker serves: not warning about enrolment.`);
    if (seen.verdict === 'none') return done(`${about} ended before it registered.`);
    if (seen.verdict === 'unknown' && p.execution && this.ended.has(p.execution)) return done(`${about} ended before it registered.`);
    const cause = this.cause(terminal, shellPid);
    done(`${about} started without the peer network (${cause}${seen.pid ? `, pid ${seen.pid}` : ''}; not registered within ${(this.o.registerWithinMs ?? REGISTER_WITHIN_MS) / 1000} s)${this.warned ? '; the warning was shown once already in this window' : ''}.`);
    if (!this.warned) {
      this.warned = true;
      void this.warn(terminal, cause);
    }
  }

  /**
   * Without /proc (macOS, Windows) a session cannot be tied to its terminal by its processes, and
   * the shim's stamp names its parent, which on Windows is cmd.exe rather than the terminal's
   * shell: a session that registered since the claude started and that no other terminal of this
   * window runs counts as this one's, so no false warning is shown.
   */
  private async joinedSince(since: number, terminal: vscode.Terminal): Promise<boolean> {
    const others = new Set<string>();
    for (const t of vscode.window.terminals) {
      if (t === terminal) continue;
      const pid = await t.processId;
      if (pid) others.add(`shell-pid:${pid}`);
    }
    return this.enrolledPeers().some((peer) => Date.parse(peer.registeredAt) >= since - 2000 && !(peer.terminalId && others.has(peer.terminalId)));
  }

  /**
   * Sessions on the network with our MCP server. The broker also lists claude sessions it only
   * found by their session file (kind "native"): those can be written to, but have no tools.
   */
  private enrolledPeers(): Peer[] {
    return this.o.directory.livePeers().filter((p) => p.kind !== 'native');
  }

  private cause(terminal: vscode.Terminal, shellPid: number): BypassCause {
    const path = environOf(shellPid, 'PATH');
    if (path !== undefined && !path.split(process.platform === 'win32' ? ';' : ':').includes(this.o.binDir)) return 'stale-terminal';
    return terminal.shellIntegration ? 'shadowed' : 'no-shell-integration';
  }

  private async warn(terminal: vscode.Terminal, cause: BypassCause): Promise<void> {
    const advice = bypassAdvice(cause, terminal.name);
    const pick = await vscode.window.showWarningMessage(advice.message, ...advice.actions);
    if (pick === 'Copy Setup') await vscode.commands.executeCommand(this.o.copySetupCommand);
    if (pick === 'Open Setting') await vscode.commands.executeCommand('workbench.action.openSettings', 'terminal.integrated.shellIntegration.enabled');
    if (pick === 'Relaunch Terminal') {
      terminal.show();
      await vscode.commands.executeCommand('workbench.action.terminal.relaunch');
    }
  }

  dispose(): void {
    for (const t of [...this.pending.keys()]) this.settle(t, null);
    this.watcher?.close();
    for (const d of this.disposables) d.dispose();
  }
}
