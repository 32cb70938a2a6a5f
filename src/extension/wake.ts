// Waking an idle session that runs in one of this window's terminals. The hooks' asyncRewake
// waiter is the first choice and usually hands messages over within a second; when a message is
// still unread after a grace period and the peer is idle at its prompt, we type a short, neutral
// prompt into its terminal. Never the peer's words: the hooks then deliver them, framed as peer
// content. The settings decide: off / ask / on, separately for peer and human messages.
import * as vscode from 'vscode';
import type { PeerDirectory } from '../client/directory.ts';
import { HUMAN_ID, type Peer } from '../protocol/wire.ts';
import type { TerminalMap } from './terminals.ts';
import { SECTION, Keys, type Settings } from './settings.ts';
import { decideWake, wakePrompt } from '../client/wake-policy.ts';

/** What the asyncRewake waiter gets before we step in. */
export const WAKE_GRACE_MS = 2500;

export class Waker implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly last = new Map<string, { at: number; newest: number }>();
  private readonly sub: { dispose(): void };

  constructor(
    private readonly directory: PeerDirectory,
    private readonly terminals: TerminalMap,
    private readonly settings: () => Settings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.sub = directory.onChange((c) => {
      if (c.kind === 'message' && c.message.toId !== HUMAN_ID) this.schedule(c.message.toId);
    });
  }

  private schedule(peerId: string): void {
    if (this.timers.has(peerId)) return;
    this.timers.set(peerId, setTimeout(() => {
      this.timers.delete(peerId);
      void this.check(peerId);
    }, WAKE_GRACE_MS));
  }

  private async check(peerId: string): Promise<void> {
    const peer = this.directory.peer(peerId);
    const terminal = peer ? this.terminals.terminalFor(peer) : undefined;
    const s = this.settings();
    const unread = this.directory.unreadFor(peerId);
    const d = decideWake({
      peer, unread, inThisWindow: !!terminal, modes: { peer: s.wakePeer, human: s.wakeHuman },
      last: this.last.get(peerId), now: Date.now(),
    });
    if (d.action === 'skip' || !peer || !terminal) return;
    if (d.action === 'ask') {
      const senders = [...new Set(unread.map((m) => m.fromName))].join(', ');
      const pick = await vscode.window.showInformationMessage(
        `${peer.name} is idle with ${d.count} unread message${d.count === 1 ? '' : 's'} from ${senders}. Wake it by typing a short prompt into its terminal?`,
        'Wake', 'Always wake', 'Never',
      );
      if (pick === 'Always wake' || pick === 'Never') {
        await vscode.workspace.getConfiguration(SECTION).update(d.fromHuman ? Keys.wakeHuman : Keys.wakePeer, pick === 'Never' ? 'off' : 'on', vscode.ConfigurationTarget.Global);
      }
      if (pick !== 'Wake' && pick !== 'Always wake') return;
      if (!this.directory.unreadFor(peerId).length) return; // read meanwhile
    }
    this.wake(peer, terminal, this.directory.unreadFor(peerId).length);
    this.last.set(peerId, { at: Date.now(), newest: d.newest });
  }

  wake(peer: Peer, terminal: vscode.Terminal, n: number): void {
    this.log.info(`Waking ${peer.name} in terminal "${terminal.name}" (${n} unread).`);
    terminal.sendText(wakePrompt(n), true);
  }

  dispose(): void {
    this.sub.dispose();
    for (const t of this.timers.values()) clearTimeout(t);
  }
}
