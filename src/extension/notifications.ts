// The notifications the network raises, each behind its setting (claudePeers.notifications.*):
// a message to you (not from a muted peer), a new file conflict (once per conflict, also across
// reloads), a session waiting for you. Each shows in the window that runs the session concerned,
// else in the window that hosts the broker, so several windows do not all raise the same one.
import * as vscode from 'vscode';
import type { PeerDirectory } from '../client/directory.ts';
import { HUMAN_ID, type Conflict, type Message, type Peer } from '../protocol/wire.ts';
import { conflictKey, describeConflict } from './conflicts.ts';
import type { HumanDesk } from './human.ts';
import type { MutedPeers, WarnedConflicts } from './memory.ts';
import type { Settings } from './settings.ts';
import type { TerminalMap } from './terminals.ts';

export interface NotifierDeps {
  dir: PeerDirectory;
  terminals: TerminalMap;
  desk: HumanDesk;
  muted: MutedPeers;
  warned: WarnedConflicts;
  settings: () => Settings;
  /** This window hosts the broker (it speaks for sessions no window runs). */
  isLeader: () => boolean;
  inWorkspace: (path: string) => boolean;
  openFile: (path: string) => Promise<void>;
  openPanel: () => Thenable<unknown>;
  log: vscode.LogOutputChannel;
}

export class Notifier {
  private conflictsDone: Promise<void> = Promise.resolve();
  private readonly waiting = new Set<string>();

  constructor(private readonly d: NotifierDeps) {}

  private mine(peer: Peer | undefined): boolean {
    return peer ? !!this.d.terminals.terminalFor(peer) || this.d.isLeader() : this.d.isLeader();
  }

  message(m: Message): void {
    if (m.toId !== HUMAN_ID || !this.d.settings().notify.messages || this.d.muted.has(m.fromId)) return;
    if (!this.mine(this.d.dir.peer(m.fromId))) return;
    const preview = m.body.length > 200 ? `${m.body.slice(0, 200)}…` : m.body;
    void vscode.window.showInformationMessage(`${m.fromName}: ${preview}`, 'Reply', 'Mark Read', 'Open Panel').then(async (pick) => {
      if (pick === 'Reply') await this.d.desk.sendFlow([m.fromId], '', m.id);
      if (pick === 'Mark Read') await this.d.desk.markRead([m.id]).catch((e: Error) => this.d.log.warn(`Could not mark message ${m.id} read: ${e.message}`));
      if (pick === 'Open Panel') await this.d.openPanel();
    });
  }

  /** The conflicts live now: warns about the new ones in this workspace. */
  conflicts(list: readonly Conflict[]): void {
    // One pass at a time: the memory of warned conflicts is read and written asynchronously.
    this.conflictsDone = this.conflictsDone.then(async () => {
      const fresh = new Set(await this.d.warned.fresh(list.map(conflictKey)));
      if (!this.d.settings().notify.conflicts) return;
      for (const c of list) {
        if (!fresh.has(conflictKey(c)) || !this.d.inWorkspace(c.path)) continue;
        void vscode.window.showWarningMessage(`Claude Peers: ${describeConflict(c)}`, 'Open File', 'Message Both').then(async (pick) => {
          if (pick === 'Open File') await this.d.openFile(c.path);
          if (pick === 'Message Both') await this.d.desk.sendFlow(c.peers.map((p) => p.id), `About ${vscode.workspace.asRelativePath(c.path)}: `);
        });
      }
    }).catch((e: Error) => this.d.log.warn(`Conflict notification failed: ${e.message}`));
  }

  /** A peer's new state: tells the human once when a session starts waiting for them. */
  peer(p: Peer): void {
    if (p.status !== 'waiting') { this.waiting.delete(p.id); return; }
    if (this.waiting.has(p.id)) return;
    this.waiting.add(p.id);
    if (!this.d.settings().notify.waiting || this.d.muted.has(p.id)) return;
    const terminal = this.d.terminals.terminalFor(p);
    if (!terminal && !this.d.isLeader()) return;
    const actions = terminal ? ['Show Terminal'] : [];
    void vscode.window.showInformationMessage(`Claude Peers: ${p.name} is waiting for you${terminal ? '' : ' (in a terminal outside this window)'}.`, ...actions).then((pick) => {
      if (pick === 'Show Terminal') terminal?.show();
    });
  }
}
