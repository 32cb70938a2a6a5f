// What the peer panel needs from the rest of the extension. The extension implements it
// (extension.ts); the panel view only talks to this, so it can be tested and swapped alone.
import type * as vscode from 'vscode';
import type { DirectoryChange, DirectorySnapshot } from '../../client/directory.ts';

export interface PanelHost {
  /** The current picture of the network (the host is the source of truth). */
  snapshot(): DirectorySnapshot;
  onDidChange: vscode.Event<DirectoryChange>;
  /** Sends a message from the human; `to` is a peer id or a scope ('machine' | 'directory' | 'repo'). Rejects with a readable Error. */
  sendHumanMessage(to: string, body: string, replyTo?: number): Promise<void>;
  openFile(path: string): Promise<void>;
  /** Shows the VS Code terminal the peer runs in; false when it is not one of ours. */
  revealTerminal(peerId: string): Promise<boolean>;
  /** Terminal name for a peer, when it runs in one of this window's terminals. */
  terminalName(peerId: string): string | undefined;
  /** Opens a new integrated terminal (the empty state's button). */
  openTerminal(): void;
  /** Breaks a lock held by a (stale) peer, as the human. */
  breakLock(name: string): Promise<void>;
  /** Fires when terminals open or close (terminal names on the cards); optional. */
  onDidChangeTerminals?: vscode.Event<unknown>;
  /** Absolute paths of this window's workspace folders ("this workspace" filter). */
  workspaceFolders(): string[];
  log(line: string): void;
}
