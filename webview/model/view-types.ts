// What the peer panel shows: the shape buildView produces and the renderers consume. Plain data,
// every string already worded for the human (the renderers only escape and lay it out).
import type { PanelAction } from '../../src/protocol/panel.ts';
import type { DeliveryState, PeerKind, PeerStatus } from '../../src/protocol/wire.ts';
import type { SectionId } from './ui-state.ts';

/** The line above everything when the broker is not there: the same reason and actions as the notification. */
export interface StatusLine {
  tone: 'error' | 'warning' | 'info';
  text: string;
  /** Shows a spinner: something is under way (starting, reconnecting). */
  busy: boolean;
  actions: { action: PanelAction; label: string }[];
}

export interface FileRow { path: string; label: string; ago: string; tool: string; conflict: boolean }

export interface PeerCard {
  id: string;
  name: string;
  status: PeerStatus;
  kind: PeerKind;
  /** "working · now", "waiting for you · 1m ago", "gone · last seen 2h ago" */
  statusLabel: string;
  lastSeen: string;
  cwd: string;
  cwdLabel: string;
  repo: string | null;
  branch: string | null;
  /** The machine or container it runs on; null for this machine. */
  host: string | null;
  /** The agent's summary, else the first line of its last prompt. */
  task: string | null;
  taskIsSummary: boolean;
  files: FileRow[];
  moreFiles: number;
  open: boolean;
  /** It runs in one of this window's terminals. */
  inTerminal: boolean;
  /** A session of this machine outside this window's terminals: the human may stop it from here. */
  canStop: boolean;
  inWorkspace: boolean;
  conflicts: number;
  /** Messages from this peer to you that you have not read. */
  unread: number;
  muted: boolean;
}

export interface PeerGroup { id: 'workspace' | 'elsewhere' | 'all' | 'remote' | 'gone'; label: string; cards: PeerCard[] }

export interface EmptyState {
  /** Live peers outside the workspace (offered in machine scope). */
  elsewhere: number;
  /** Whether `claude` in this window's terminals joins the network (else the state says how to turn it on). */
  joining: boolean;
}

export interface ConflictBanner {
  path: string;
  label: string;
  peers: { id: string; name: string; how: 'edit' | 'claim'; ago: string }[];
  text: string;
}

export interface LockRow {
  name: string;
  holder: { id: string; name: string; reason: string | null; age: string; expires: string; gone: boolean } | null;
  waiters: string[];
}

export interface ClaimRow { peerId: string; peerName: string; pattern: string; label: string; reason: string | null; expires: string; gone: boolean }

export interface Recipient { id: string; name: string; state: DeliveryState }

export interface ThreadReply { id: number; fromName: string; time: string; snippet: string; shown: boolean }

export interface MessageRow {
  /** Stable key for the DOM (a message id: one row per message, whatever its recipients). */
  key: string;
  id: number;
  fromId: string;
  fromName: string;
  /** Written by the human at the keyboard. */
  human: boolean;
  /** Addressed to the human. */
  toHuman: boolean;
  toLabel: string;
  broadcast: boolean;
  recipients: Recipient[];
  /** The least advanced delivery of all recipients. */
  state: DeliveryState;
  stateLabel: string;
  sentAt: string;
  time: string;
  ago: string;
  body: string;
  foldable: boolean;
  folded: boolean;
  /** From a muted peer and not opened: only the head line is shown. */
  muted: boolean;
  replyTo: { id: number; fromName: string; snippet: string; shown: boolean } | null;
  replies: number;
  /** The replies, listed under the row when the human opened the thread; null when closed. */
  thread: ThreadReply[] | null;
  /** The human can answer the sender (a peer that still exists). */
  canReply: boolean;
  /** To you and not read yet. */
  unread: boolean;
}

export interface Option {
  value: string;
  label: string;
  detail?: string;
  disabled?: boolean;
  /** Options are listed in groups (the composer: sessions, then everyone). */
  group?: string;
}

export interface Stream {
  rows: MessageRow[];
  /** Messages that pass the filter and the search. */
  total: number;
  olderHidden: number;
  filter: Option | null;
  filterOptions: Option[];
  /** The search, trimmed ('' for none): the renderer marks it in the rows. */
  query: string;
  /** Unread messages to you that the stream shows (the panel marks them read once seen). */
  unreadShown: number[];
  /** Every unread message to you ("Mark all read"). */
  unreadAll: number;
}

export interface DraftView {
  to: string;
  /** A recipient who can get a message now is chosen. */
  valid: boolean;
  /** Why Send is off, in words; null when it is on. */
  blocked: string | null;
  /** The line beside Send: `blocked`, unless the recipient list already says it ("Choose who gets it…"). */
  hint: string | null;
  /** The recipient is a group (the host confirms before sending). */
  broadcast: boolean;
  /** "Message to amber-fox": the text area's accessible name. */
  label: string;
  replyTo: { id: number; fromName: string; snippet: string } | null;
}

export interface PanelView {
  connected: boolean;
  status: StatusLine | null;
  counts: {
    live: number; working: number; idle: number; waiting: number; gone: number; elsewhere: number;
    messages: number; unread: number; conflicts: number; locks: number; claims: number;
  };
  conflicts: ConflictBanner[];
  /** No live peer in scope while connected: the teaching empty state. */
  empty: EmptyState | null;
  hasWorkspace: boolean;
  scope: 'workspace' | 'machine';
  groups: PeerGroup[];
  showGone: boolean;
  locks: LockRow[];
  claims: ClaimRow[];
  stream: Stream;
  recipients: Option[];
  draft: DraftView;
  collapsed: SectionId[];
}
