// The one protocol between the extension host and the peer panel's webview, imported by both
// sides (src/extension/panel/panel-view.ts and webview/main.ts). Type-only imports of the wire
// and directory models keep zod and node code out of the webview bundle.
//
//   webview → host   { kind: 'ready' }                      first, once the script runs
//                    { kind: 'request', id, method, params } every action; answered by a response
//   host → webview   { kind: 'snapshot', snapshot, context } the whole picture (after ready, reset, resync)
//                    { kind: 'changes', changes, context }   directory changes, batched
//                    { kind: 'response', id, ok, result | error }
//
// The host is the source of truth: the webview mirrors the last snapshot plus changes and keeps
// only UI state of its own (filters, folds, the draft). The host posts nothing before `ready`.
import type { DirectoryChange, DirectorySnapshot } from '../client/directory.ts';

/** Bumped when a change here would break an older webview still loaded (retainContextWhenHidden). */
export const PANEL_PROTOCOL_VERSION = 1;

/** What the webview cannot work out itself: facts only the extension host knows. */
export interface PanelContext {
  /** Absolute paths of this window's workspace folders. */
  workspaceFolders: string[];
  /** The user's home directory, to shorten paths outside the workspace to `~/…`. */
  home: string;
  /** Peer id → name of the VS Code terminal of this window the peer runs in. */
  terminals: Record<string, string>;
}

// ---- webview → host ------------------------------------------------------------------------

/** Every request the webview can make, with its parameters and the result it gets back. */
export interface PanelRequests {
  /** A message from the human to a peer id or a scope (`machine`, `under:<folder>`). */
  send: { params: { to: string; body: string; replyTo?: number }; result: void };
  /** The same message to several peers (the conflict banner's "message both"). */
  messagePeers: { params: { peerIds: string[]; body: string }; result: { sent: number } };
  openFile: { params: { path: string }; result: void };
  /** false when the peer does not run in one of this window's terminals. */
  revealTerminal: { params: { peerId: string }; result: boolean };
  openTerminal: { params: Record<string, never>; result: void };
  /** false when the human cancelled the confirmation. */
  breakLock: { params: { name: string }; result: boolean };
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
  | { kind: 'snapshot'; snapshot: DirectorySnapshot; context: PanelContext }
  | { kind: 'changes'; changes: DirectoryChange[]; context: PanelContext }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

// ---- validation (the host never trusts what a webview posts) -----------------------------------

const METHODS: { [M in PanelMethod]: (p: Record<string, unknown>) => boolean } = {
  send: (p) => isText(p.to, 4096) && isText(p.body, 64 * 1024) && (p.replyTo === undefined || isId(p.replyTo)),
  messagePeers: (p) => Array.isArray(p.peerIds) && p.peerIds.length > 0 && p.peerIds.length <= 20
    && p.peerIds.every((x) => isText(x, 64)) && isText(p.body, 64 * 1024),
  openFile: (p) => isText(p.path, 4096),
  revealTerminal: (p) => isText(p.peerId, 64),
  openTerminal: () => true,
  breakLock: (p) => isText(p.name, 200),
  resync: () => true,
};

function isText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
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
  const params = (m.params && typeof m.params === 'object' ? m.params : {}) as Record<string, unknown>;
  if (!METHODS[m.method as PanelMethod](params)) return null;
  return { kind: 'request', id: m.id, method: m.method, params } as PanelRequest;
}
