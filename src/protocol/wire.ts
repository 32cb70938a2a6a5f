// The broker's HTTP/SSE wire format, shared by the broker, the MCP server, the hooks, the CLI,
// the extension and the panel. Request bodies are zod schemas because they are validated at the
// broker's boundary; responses and events are plain types because the broker produces them.
import { z } from 'zod';

export const API_PREFIX = '/v1';
/** Peer messages are capped so one runaway agent cannot flood another's context. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
/** Whole request bodies (a message plus its envelope). */
export const MAX_BODY_BYTES = 64 * 1024;
/** The pseudo-recipient for messages to the person at the keyboard. */
export const HUMAN_ID = 'human';

/** `waiting`: Claude Code is waiting for the user (a permission prompt or a question). */
export type PeerStatus = 'working' | 'idle' | 'waiting' | 'gone';
/** `peer`: a session with our MCP server; `native`: a Claude Code session found on disk without it. */
export type PeerKind = 'peer' | 'native';
export type Scope = 'machine' | 'directory' | 'repo';
export type SenderKind = 'peer' | 'human';
export type DeliveryState = 'queued' | 'delivered' | 'read';

export interface FileTouch {
  path: string;
  at: string; // ISO time of the last edit
  tool: string;
}

export interface Peer {
  id: string;
  name: string;
  kind: PeerKind;
  /** The machine (or container) the session runs on; null for this machine. */
  host: string | null;
  pid: number;
  sessionId: string | null;
  cwd: string;
  gitRoot: string | null;
  branch: string | null;
  tty: string | null;
  /** Set by the agent with set_summary; wins over `task` in displays. */
  summary: string | null;
  /** First line of the last prompt, recorded by the UserPromptSubmit hook. */
  task: string | null;
  status: PeerStatus;
  /** Identifies the VS Code terminal the session runs in, when the extension's shim started it. */
  terminalId: string | null;
  channels: boolean;
  files: FileTouch[];
  registeredAt: string;
  lastSeen: string;
}

export interface Message {
  id: number;
  fromId: string;
  fromName: string;
  fromKind: SenderKind;
  fromCwd: string | null;
  fromRepo: string | null;
  /** Recipient peer id, or HUMAN_ID. */
  toId: string;
  toName: string;
  body: string;
  replyTo: number | null;
  /** Set when the message was sent to a scope rather than a peer. */
  broadcast: Scope | null;
  sentAt: string;
  state: DeliveryState;
}

export interface Conflict {
  path: string;
  peers: { id: string; name: string; at: string; how: 'edit' | 'claim' }[];
}

export interface LockInfo {
  name: string;
  holder: { id: string; name: string; reason: string | null; acquiredAt: string; expiresAt: string } | null;
  waiters: { id: string; name: string; reason: string | null; since: string }[];
}

export interface Claim { peerId: string; peerName: string; pattern: string; reason: string | null; expiresAt: string }

// ---- requests ------------------------------------------------------------------------------

const text = (max: number) => z.string().max(max);
const pid = z.number().int().positive().max(2 ** 31);

export const RegisterRequest = z.object({
  pid: pid.describe('pid of the claude process'),
  pidStart: z.string().max(64).nullish(),
  sessionId: text(200).nullish(),
  cwd: text(4096),
  gitRoot: text(4096).nullish(),
  branch: text(400).nullish(),
  tty: text(200).nullish(),
  terminalId: text(200).nullish(),
  channels: z.boolean().optional(),
  /** Name the session was given with `claude -n`, used as the readable name when free. */
  preferredName: text(64).nullish(),
}).strict();
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const HeartbeatRequest = z.object({}).strict();

export const SummaryRequest = z.object({ summary: text(1000) }).strict();

export const SendRequest = z.object({
  /** Peer id, peer name, HUMAN_ID, or a broadcast scope. */
  to: text(200).min(1),
  body: z.string().min(1),
  replyTo: z.number().int().positive().nullish(),
  /** Sender: a peer id, or absent for a human sender. */
  from: text(64).nullish(),
  fromName: text(64).nullish(),
}).strict();
export type SendRequest = z.infer<typeof SendRequest>;

export const AckRequest = z.object({
  ids: z.array(z.number().int().positive()).max(10_000),
  state: z.enum(['delivered', 'read']),
}).strict();

export const LockAcquireRequest = z.object({
  peer: text(64),
  ttlMs: z.number().int().min(1000).max(24 * 3_600_000).default(600_000),
  reason: text(500).nullish(),
  /** Wait up to this long for the lock (long poll); 0 answers at once. */
  waitMs: z.number().int().min(0).max(120_000).default(0),
}).strict();

export const LockReleaseRequest = z.object({
  peer: text(64).nullish(),
  /** The human breaking a stale lock held by someone else. */
  force: z.boolean().optional(),
}).strict();

export const ClaimRequest = z.object({
  peer: text(64),
  paths: z.array(text(4096).min(1)).min(1).max(200),
  reason: text(500).nullish(),
  ttlMs: z.number().int().min(1000).max(7 * 24 * 3_600_000).default(3_600_000),
}).strict();

export const UnclaimRequest = z.object({
  peer: text(64),
  /** Omitted: release every claim of the peer. */
  paths: z.array(text(4096)).max(200).nullish(),
}).strict();

/** The rewake hook's long poll: wait until a message arrives for the session of this claude pid. */
export const WaitRequest = z.object({
  pid: pid,
  pidStart: z.string().max(64).nullish(),
  waitMs: z.number().int().min(0).max(600_000).default(60_000),
}).strict();

export const HookEventName = z.enum([
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd', 'Notification',
]);
export type HookEventName = z.infer<typeof HookEventName>;

/** What the hook CLI forwards to the broker: the parts of Claude Code's hook input we use. */
export const HookRequest = z.object({
  event: HookEventName,
  pid: pid,
  pidStart: z.string().max(64).nullish(),
  sessionId: text(200).nullish(),
  cwd: text(4096),
  gitRoot: text(4096).nullish(),
  branch: text(400).nullish(),
  terminalId: text(200).nullish(),
  prompt: text(200_000).nullish(),
  source: text(40).nullish(),
  toolName: text(200).nullish(),
  /** Absolute, resolved path of the file a tool is about to touch or touched. */
  filePath: text(4096).nullish(),
  /** Ids of our messages the model has already seen in this turn (found in the prompt/transcript). */
  seenIds: z.array(z.number().int().positive()).max(10_000).optional(),
  stopHookActive: z.boolean().optional(),
  /** The shell command of a Bash tool call (PreToolUse/PostToolUse), for automatic locks. */
  command: text(100_000).nullish(),
}).strict();
export type HookRequest = z.infer<typeof HookRequest>;

// ---- responses -----------------------------------------------------------------------------

export interface Health { ok: true; version: string; pid: number; startedAt: string; db: string }
export interface RegisterResponse { peer: Peer }
export interface PeersResponse { peers: Peer[] }
export interface SendResponse { messages: Message[] }
export interface InboxResponse { messages: Message[] }
export interface ConflictsResponse { conflicts: Conflict[] }
export interface HookResponse {
  peer: Peer;
  /** Unread messages the hook should hand to the model now (already marked read). */
  messages: Message[];
  /** Other live peers that edited the file this tool is about to touch. */
  conflicts: Conflict[];
  /** Who is around, for SessionStart digests. */
  peers?: Peer[];
  /** Locks and claims this peer holds (SessionStart digests after compaction or resume). */
  locks?: LockInfo[];
  claims?: Claim[];
  /** A Bash command that needs a lock another live peer holds (PreToolUse). */
  lockBlocked?: LockInfo;
}
export interface WaitResponse { reason: 'message' | 'busy' | 'superseded' | 'timeout' | 'unknown_peer'; peer: Peer | null; messages: Message[] }
export interface ApiError { error: { code: string; message: string } }

// ---- events (server-sent) ------------------------------------------------------------------

export type BrokerEvent =
  | { type: 'hello'; brokerPid: number; version: string }
  | { type: 'message'; message: Message }
  | { type: 'message_state'; ids: number[]; toId: string; state: DeliveryState }
  | { type: 'peer'; peer: Peer }
  | { type: 'peer_gone'; peer: Peer }
  | { type: 'conflicts'; conflicts: Conflict[] }
  | { type: 'locks'; locks: LockInfo[] }
  | { type: 'claims'; claims: Claim[] };
