// Names a terminal after the session in it ("claude · amber-fox") instead of the title Claude Code
// keeps rewriting (its spinner). VS Code can only rename the active terminal, so a terminal is
// renamed when it is (or next becomes) the active one: no terminal is brought forward for it.
// Behind claudePeers.terminals.nameAfterPeer.
import * as vscode from 'vscode';
import type { PeerDirectory } from '../client/directory.ts';
import type { Peer } from '../protocol/wire.ts';
import type { TerminalMap } from './terminals.ts';

export const terminalTitle = (peer: Peer): string => `claude · ${peer.name}`;

export class TerminalNamer implements vscode.Disposable {
  /** Terminal → the peer name it was given. */
  private readonly named = new WeakMap<vscode.Terminal, string>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly directory: PeerDirectory,
    private readonly terminals: TerminalMap,
    private readonly enabled: () => boolean,
    private readonly log: (line: string) => void,
  ) {
    const dirSub = directory.onChange((c) => { if (c.kind === 'peer' || c.kind === 'reset') void this.renameActive(); });
    this.subs.push(
      { dispose: () => dirSub.dispose() },
      vscode.window.onDidChangeActiveTerminal(() => void this.renameActive()),
      terminals.onDidChange(() => void this.renameActive()),
    );
  }

  /** Renames the active terminal when it runs a live peer it is not yet named after. */
  async renameActive(): Promise<void> {
    if (!this.enabled()) return;
    const t = vscode.window.activeTerminal;
    if (!t) return;
    const peer = this.directory.livePeers().find((p) => this.terminals.terminalFor(p) === t);
    if (!peer || this.named.get(t) === peer.name) return;
    this.named.set(t, peer.name);
    try {
      await vscode.commands.executeCommand('workbench.action.terminal.renameWithArg', { name: terminalTitle(peer) });
    } catch (e) {
      this.log(`Could not name the terminal of ${peer.name}: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
