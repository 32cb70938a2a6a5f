// What the peer panel needs from the rest of the extension. The extension implements it
// (extension.ts); the panel view only talks to this, so it can be tested and swapped alone.
import type * as vscode from 'vscode';
import type { DirectoryChange, DirectorySnapshot } from '../../protocol/directory-model.ts';
import type { BrokerStatus, PanelAction, SavedDraft, SendResult } from '../../protocol/panel.ts';

export interface PanelHost {
  /** The current picture of the network (the host is the source of truth). */
  snapshot(): DirectorySnapshot;
  onDidChange: vscode.Event<DirectoryChange>;
  /** Fires when a fact of PanelContext changes (terminals, the broker's state, mutes, settings). */
  onDidChangeContext: vscode.Event<unknown>;
  broker(): BrokerStatus;
  /** Whether `claude` in this window's terminals joins the network. */
  joining(): boolean;
  muted(): string[];
  setMuted(peerId: string, muted: boolean): Promise<void>;
  /**
   * Sends a message from the human to a live peer id or a scope ('machine', 'under:<folder>'),
   * confirming a scope with the human first. Rejects with a readable Error.
   */
  sendHumanMessage(to: string, body: string, replyTo?: number): Promise<SendResult>;
  /** The same message to each of these live peers. */
  messagePeers(peerIds: string[], body: string): Promise<SendResult>;
  /** Marks these messages to the human read (only those that are to the human and unread); returns how many. */
  markRead(ids: number[]): Promise<number>;
  markAllRead(): Promise<number>;
  openFile(path: string): Promise<void>;
  /** Shows the VS Code terminal the peer runs in; false when it is not one of ours. */
  revealTerminal(peerId: string): Promise<boolean>;
  /** Whether the peer runs in one of this window's terminals. */
  inTerminal(peerId: string): boolean;
  /** Opens a new integrated terminal (the empty state's button). */
  openTerminal(): void;
  /** Confirms, then ends a session of this machine outside this window's terminals; false when cancelled. */
  stopSession(peerId: string): Promise<boolean>;
  /** Breaks a lock held by a (stale) peer, as the human; false when cancelled. */
  breakLock(name: string): Promise<boolean>;
  runAction(action: PanelAction): Promise<void>;
  /** The composer's draft, kept across window reloads (workspaceState). */
  draft(): SavedDraft | null;
  saveDraft(draft: SavedDraft): Promise<void>;
  /** Absolute paths of this window's workspace folders ("this workspace" filter). */
  workspaceFolders(): string[];
  log(line: string): void;
}
