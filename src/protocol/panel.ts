// The one protocol between the extension host and the peer panel's webview, imported by both
// sides (src/extension/panel/panel-view.ts and webview/main.ts). Type-only imports of the wire
// and directory models keep zod and node code out of the webview bundle.
//
//   webview → host   { kind: 'ready' }                      first, once the script runs
//                    { kind: 'request', id, method, params } every action; answered by a response
//   host → webview   { kind: 'snapshot', snapshot, context, draft } the whole picture (after ready, reset, resync)
//                    { kind: 'changes', changes, context }   directory changes, batched
//                    { kind: 'response', id, ok, result | error }
//                    { kind: 'visible', visible }            whether the human can see the panel
//                    { kind: 'focus', target: 'composer' }   the Focus Message Composer command
//
// The host is the source of truth: the webview mirrors the last snapshot plus changes and keeps
// only UI state of its own (filters, folds, the draft). The host posts nothing before `ready`.
import type { DirectoryChange, DirectorySnapshot } from './directory-model.ts';

/** Bumped when a change here would break an older webview still loaded (retainContextWhenHidden). */
export const PANEL_PROTOCOL_VERSION = 2;

/** The broker as this window sees it (the extension's BrokerHost state). */
export interface BrokerStatus {
  /** starting: deciding; leader: this window serves; follower: another process serves; blocked: none can. */
  role: 'starting' | 'leader' | 'follower' | 'blocked' | 'stopped';
  /** Why there is no broker (blocked) or why it does not answer (follower), in words a user can act on. */
  problem: string | null;
  port: number;
}

/** What the webview cannot work out itself: facts only the extension host knows. */
export interface PanelContext {
  /** Absolute paths of this window's workspace folders. */
  workspaceFolders: string[];
  /** The user's home directory, to shorten paths outside the workspace to `~/…`. */
  home: string;
  /** Ids of live peers that run in one of this window's terminals. */
  inTerminal: string[];
  broker: BrokerStatus;
  /** Whether `claude` in this window's terminals joins the peer network (the setting). */
  joining: boolean;
  /** Peers the human muted: their messages are collapsed and raise no notification. */
  muted: string[];
}

/** Things the panel asks the host to do on its behalf, each the same as a button of a notification. */
export type PanelAction = 'changePort' | 'retryBroker' | 'showLog' | 'openJoinSetting';
const ACTIONS: readonly PanelAction[] = ['changePort', 'retryBroker', 'showLog', 'openJoinSetting'];

/**
 * The composer's draft as the host keeps it (workspaceState): the webview's own saved state does
 * not always survive a window reload, the chosen recipient must.
 */
export interface SavedDraft { to: string; toLabel: string; body: string; replyTo: number | null }

/** What a send reports back: false when the human cancelled a confirmation. */
export interface SendResult { sent: boolean; recipients: string[] }

// ---- webview → host ------------------------------------------------------------------------

/** Every request the webview can make, with its parameters and the result it gets back. */
export interface PanelRequests {
  /** A message from the human to a live peer id or a scope (`machine`, `under:<folder>`); scopes are confirmed first. */
  send: { params: { to: string; body: string; replyTo?: number }; result: SendResult };
  /** The same message to several peers (the conflict banner's "message both"). */
  messagePeers: { params: { peerIds: string[]; body: string }; result: SendResult };
  /** Messages to the human the panel showed: marked read (the host keeps only those that are). */
  markRead: { params: { ids: number[] }; result: { marked: number } };
  /** Every message to the human marked read. */
  markAllRead: { params: Record<string, never>; result: { marked: number } };
  openFile: { params: { path: string }; result: void };
  /** false when the peer does not run in one of this window's terminals. */
  revealTerminal: { params: { peerId: string }; result: boolean };
  openTerminal: { params: Record<string, never>; result: void };
  /** Ends a session of this machine that runs outside this window's terminals; false when cancelled. */
  stopSession: { params: { peerId: string }; result: boolean };
  setMuted: { params: { peerId: string; muted: boolean }; result: void };
  /** false when the human cancelled the confirmation. */
  breakLock: { params: { name: string }; result: boolean };
  runAction: { params: { action: PanelAction }; result: void };
  /** Keeps the composer's draft with the host (sent when it changes, debounced). */
  saveDraft: { params: SavedDraft; result: void };
  /** Asks for a fresh snapshot (after the webview finds its mirror inconsistent). */
  resync: { params: Record<string, never>; result: void };
}
export type PanelMethod = keyof PanelRequests;
export type PanelParams<M extends PanelMethod> = PanelRequests[M]['params'];
export type PanelResult<M extends PanelMethod> = PanelRequests[M]['result'];

export type PanelRequest = { [M in PanelMethod]: { kind: 'request'; id: number; method: M; params: PanelParams<M> } }[PanelMethod];

export type WebviewToHost =
  | { kind: 'ready'; version: number }
  | PanelRequest;

// ---- host → webview ------------------------------------------------------------------------

export type HostToWebview =
  /** `draft`: the composer's draft the host kept, for a webview that starts without one. */
  | { kind: 'snapshot'; snapshot: DirectorySnapshot; context: PanelContext; draft: SavedDraft | null }
  | { kind: 'changes'; changes: DirectoryChange[]; context: PanelContext }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string }
  | { kind: 'visible'; visible: boolean }
  | { kind: 'focus'; target: 'composer' };

// ---- validation (the host never trusts what a webview posts) -----------------------------------

/** At most this many ids in one markRead (the directory keeps 2,000 messages). */
export const MAX_READ_IDS = 2000;

const METHODS: { [M in PanelMethod]: (p: Record<string, unknown>) => boolean } = {
  send: (p) => isText(p.to, 4096) && isText(p.body, 64 * 1024) && (p.replyTo === undefined || isId(p.replyTo)),
  messagePeers: (p) => Array.isArray(p.peerIds) && p.peerIds.length > 0 && p.peerIds.length <= 20
    && p.peerIds.every((x) => isText(x, 64)) && isText(p.body, 64 * 1024),
  markRead: (p) => Array.isArray(p.ids) && p.ids.length > 0 && p.ids.length <= MAX_READ_IDS && p.ids.every(isId),
  markAllRead: () => true,
  openFile: (p) => isText(p.path, 4096),
  revealTerminal: (p) => isText(p.peerId, 64),
  openTerminal: () => true,
  stopSession: (p) => isText(p.peerId, 64),
  setMuted: (p) => isText(p.peerId, 64) && typeof p.muted === 'boolean',
  breakLock: (p) => isText(p.name, 200),
  runAction: (p) => typeof p.action === 'string' && (ACTIONS as readonly string[]).includes(p.action),
  saveDraft: (p) => isString(p.to, 8192) && isString(p.toLabel, 200) && isString(p.body, 64 * 1024) && (p.replyTo === null || isId(p.replyTo)),
  resync: () => true,
};

function isText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}
/** A string, possibly empty. */
function isString(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max;
}
function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** The message if it is a well-formed webview → host message, else null. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | null {
  if (!raw || typeof raw !== 'object') return null;
  const m = raw as Record<string, unknown>;
  if (m.kind === 'ready') return { kind: 'ready', version: typeof m.version === 'number' ? m.version : 0 };
  if (m.kind !== 'request' || !isId(m.id) || typeof m.method !== 'string' || !Object.hasOwn(METHODS, m.method)) return null;
  const params = (m.params && typeof m.params === 'object' && !Array.isArray(m.params) ? m.params : {}) as Record<string, unknown>;
  if (!METHODS[m.method as PanelMethod](params)) return null;
  return { kind: 'request', id: m.id, method: m.method, params } as PanelRequest;
}

// ---- wording both sides use --------------------------------------------------------------------

/** "Sent to amber-fox", "Sent to amber-fox and blue-owl", "Sent to 3 sessions: a, b and c". */
export function sentSummary(recipients: readonly string[]): string {
  const names = [...new Set(recipients)];
  if (names.length === 0) return 'Sent, but no session was there to get it';
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return names.length > 2 ? `Sent to ${names.length} sessions: ${list}` : `Sent to ${list}`;
}
