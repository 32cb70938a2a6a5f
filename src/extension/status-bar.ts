// The status bar: one item with the peers, sessions waiting for you and conflicts (a click opens
// the panel, or retries a broker that could not start), and one more while sessions wait for you
// (a click goes to the terminal of the one waiting).
import * as vscode from 'vscode';
import type { PeerDirectory } from '../client/directory.ts';
import type { BrokerStatus } from '../protocol/panel.ts';
import { statusText, waitingText } from './status-text.ts';
import type { TerminalMap } from './terminals.ts';

export class StatusBar implements vscode.Disposable {
  private readonly main = vscode.window.createStatusBarItem('claudePeers.status', vscode.StatusBarAlignment.Left, 50);
  private readonly waiting = vscode.window.createStatusBarItem('claudePeers.waiting', vscode.StatusBarAlignment.Left, 49);

  constructor(private readonly dir: PeerDirectory, private readonly terminals: TerminalMap, private readonly broker: () => BrokerStatus) {
    this.main.name = 'Claude Peers';
    this.waiting.name = 'Claude Peers: Waiting for You';
    this.render();
  }

  render(): void {
    const b = this.broker();
    const live = this.dir.livePeers();
    const waiting = live.filter((p) => p.status === 'waiting');
    const t = statusText({ live: live.length, waiting: waiting.length, conflicts: this.dir.currentConflicts().length, federation: this.dir.currentFederation() }, b);
    this.main.text = t.text;
    this.main.tooltip = t.tooltip;
    this.main.accessibilityInformation = { label: t.label, role: 'button' };
    if (b.role === 'blocked') {
      this.main.command = 'claudePeers.retryBroker';
      this.main.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else {
      this.main.command = 'claudePeers.openPanel';
      this.main.backgroundColor = this.dir.currentConflicts().length ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    }
    this.main.show();

    const w = b.role === 'blocked' ? null : waitingText(waiting.map((p) => p.name));
    if (!w) { this.waiting.hide(); return; }
    this.waiting.text = w.text;
    this.waiting.tooltip = w.tooltip;
    this.waiting.accessibilityInformation = { label: w.label, role: 'button' };
    const first = waiting.find((p) => this.terminals.terminalFor(p)) ?? waiting[0];
    this.waiting.command = waiting.length === 1
      ? { command: 'claudePeers.revealTerminal', title: 'Go to its terminal', arguments: [first.id] }
      : 'claudePeers.revealTerminal';
    this.waiting.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.waiting.show();
  }

  dispose(): void {
    this.main.dispose();
    this.waiting.dispose();
  }
}
