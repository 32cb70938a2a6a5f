// Which VS Code terminal a peer runs in. The shim stamps each session with its shell's pid
// (CLAUDE_PEERS_TERMINAL_ID=shell-pid:N), and Terminal.processId is that shell's pid; where the
// stamp is missing (claude started some other way) we walk the session's parents (Linux).
import * as vscode from 'vscode';
import type { Peer } from '../protocol/wire.ts';
import { parentOf } from '../common/process.ts';

export class TerminalMap implements vscode.Disposable {
  private readonly byPid = new Map<number, vscode.Terminal>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when terminals open or close (peer ↔ terminal links may change). */
  readonly onDidChange = this.changed.event;

  constructor() {
    for (const t of vscode.window.terminals) void this.track(t);
    this.disposables.push(
      vscode.window.onDidOpenTerminal((t) => void this.track(t)),
      vscode.window.onDidCloseTerminal((t) => {
        for (const [pid, term] of this.byPid) if (term === t) this.byPid.delete(pid);
        this.changed.fire();
      }),
      this.changed,
    );
  }

  private async track(t: vscode.Terminal): Promise<void> {
    const pid = await t.processId;
    if (pid) this.byPid.set(pid, t);
    this.changed.fire();
  }

  /** The terminal of this window that runs the peer, if any. */
  terminalFor(peer: Peer): vscode.Terminal | undefined {
    const m = /^shell-pid:(\d+)$/.exec(peer.terminalId ?? '');
    if (m) {
      const t = this.byPid.get(Number(m[1]));
      if (t) return t;
    }
    let pid: number | null = peer.pid;
    for (let i = 0; i < 8 && pid && pid > 1; i++) {
      const t = this.byPid.get(pid);
      if (t) return t;
      pid = parentOf(pid);
    }
    return undefined;
  }

  dispose(): void { for (const d of this.disposables) d.dispose(); }
}
