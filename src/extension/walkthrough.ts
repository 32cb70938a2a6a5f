// Ticks the walkthrough's steps off when they really happen: context keys that its completion
// events listen for ("onContext:…"), set once a first and then a second live session is seen.
import * as vscode from 'vscode';
import type { PeerDirectory } from '../client/directory.ts';

export const ContextKeys = {
  oneSession: 'claudePeers.sessionSeen',
  twoSessions: 'claudePeers.twoSessionsSeen',
} as const;

export class WalkthroughProgress implements vscode.Disposable {
  private seen = 0;
  private readonly sub: { dispose(): void };

  constructor(private readonly dir: PeerDirectory) {
    this.sub = dir.onChange((c) => { if (c.kind === 'peer' || c.kind === 'reset') this.check(); });
    this.check();
  }

  private check(): void {
    const live = this.dir.livePeers().length;
    if (live >= 1 && this.seen < 1) void vscode.commands.executeCommand('setContext', ContextKeys.oneSession, true);
    if (live >= 2 && this.seen < 2) void vscode.commands.executeCommand('setContext', ContextKeys.twoSessions, true);
    this.seen = Math.max(this.seen, Math.min(live, 2));
  }

  dispose(): void { this.sub.dispose(); }
}
