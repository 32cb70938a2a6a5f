// The broker's HTTP/SSE wire format, shared by the broker, the MCP server, the hooks, the CLI,
// the extension and the panel. Request bodies are zod schemas because they are validated at the
// broker's boundary; responses and events are plain types because the broker produces them.
import { z } from 'zod';
import { SECRET_RE } from './credentials.ts';
import { TOOL_PREFIX_RE } from './framing.ts';

export { SECRET_RE, SESSION_KEY_ENV, proofText } from './credentials.ts';
export { API_PREFIX, MAX_MESSAGE_BYTES, MAX_BODY_BYTES, MAX_HOOK_BODY_BYTES, HUMAN_ID } from './constants.ts';

/** `waiting`: Claude Code is waiting for the user (a permission prompt or a question). */
export type PeerStatus = 'working' | 'idle' | 'waiting' | 'gone';
/** `peer`: a session with our MCP server; `native`: a Claude Code session found on disk without it. */
export type PeerKind = 'peer' | 'native';
/** `network`: every peer of every broker on the federation (see docs/federation.md); `machine` stays local. */
export type Scope = 'machine' | 'directory' | 'repo' | 'network';
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
  /** The repository's identity across machines (normalised remote URL), in network listings. */
  repo?: string | null;
}

export interface Message {
  id: number;
  fromId: string;
  fromName: string;
  fromKind: SenderKind;
  fromCwd: string | null;
  fromRepo: string | null;
  /** The machine (or container) of a sender on another broker of the federation; absent or null: this machine. */
  fromHost?: string | null;
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
const sessionKey = z.string().regex(SECRET_RE, 'a session key is 64 hex characters');

export const RegisterRequest = z.object({
  /** The session's credential from now on (chosen by the session: its hooks know it too). */
  sessionKey,
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
  /** How the session's Claude Code names our tools (`mcp__claude-peers__` or the plugin's prefix). */
  toolPrefix: z.string().regex(TOOL_PREFIX_RE).nullish(),
  /** Where the session's Claude Code keeps its files ($CLAUDE_CONFIG_DIR or ~/.claude): its session file tells its status. */
  claudeHome: text(4096).nullish(),
}).strict();
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const HeartbeatRequest = z.object({}).strict();

export const SummaryRequest = z.object({ summary: text(1000) }).strict();

/** The sender is whoever the credential names: a session's peer, or the human. */
export const SendRequest = z.object({
  /** Peer id, peer name, HUMAN_ID, or a broadcast scope. */
  to: text(200).min(1),
  body: z.string().min(1),
  replyTo: z.number().int().positive().nullish(),
  /** Where a human wrote it (shown with their name); ignored for sessions. */
  via: z.enum(['panel', 'terminal']).optional(),
}).strict();
export type SendRequest = z.infer<typeof SendRequest>;

export const AckRequest = z.object({
  ids: z.array(z.number().int().positive()).max(10_000),
  state: z.enum(['delivered', 'read']),
}).strict();

export const LockAcquireRequest = z.object({
  ttlMs: z.number().int().min(1000).max(24 * 3_600_000).default(600_000),
  reason: text(500).nullish(),
  /** Wait up to this long for the lock (long poll); 0 answers at once. */
  waitMs: z.number().int().min(0).max(120_000).default(0),
}).strict();

export const LockReleaseRequest = z.object({
  /** The human breaking a stale lock held by someone else. */
  force: z.boolean().optional(),
}).strict();

export const ClaimRequest = z.object({
  paths: z.array(text(4096).min(1)).min(1).max(200),
  reason: text(500).nullish(),
  ttlMs: z.number().int().min(1000).max(7 * 24 * 3_600_000).default(3_600_000),
}).strict();

export const UnclaimRequest = z.object({
  /** Omitted: release every claim of the peer. */
  paths: z.array(text(4096)).max(200).nullish(),
}).strict();

/** The rewake hook's long poll: wait until a message arrives for this session. */
export const WaitRequest = z.object({
  waitMs: z.number().int().min(0).max(600_000).default(60_000),
}).strict();

export const HookEventName = z.enum([
  'SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd', 'Notification',
]);
export type HookEventName = z.infer<typeof HookEventName>;

/**
 * The parts of Claude Code's hook input the broker reads (POST /v1/hooks/<event> carries it as
 * Claude Code wrote it, from an HTTP hook or from our command hook): anything else is ignored and
 * a field of the wrong type is dropped, so a newer Claude Code never breaks a hook.
 */
export const HookInput = z.object({
  session_id: z.string().max(200).optional().catch(undefined),
  transcript_path: z.string().max(4096).optional().catch(undefined),
  cwd: z.string().max(4096).optional().catch(undefined),
  hook_event_name: z.string().max(64).optional().catch(undefined),
  permission_mode: z.string().max(64).optional().catch(undefined),
  prompt: z.string().optional().catch(undefined),
  source: z.string().max(40).optional().catch(undefined),
  tool_name: z.string().max(200).optional().catch(undefined),
  tool_input: z.record(z.unknown()).optional().catch(undefined),
  stop_hook_active: z.boolean().optional().catch(undefined),
  notification_type: z.string().max(100).optional().catch(undefined),
  message: z.string().max(4000).optional().catch(undefined),
}).passthrough();
export type HookInput = z.infer<typeof HookInput>;

// ---- responses -----------------------------------------------------------------------------

/** What anyone may learn without a credential: that a claude-peers broker answers here, and the federation's state (never its URL). */
export interface Health { ok: true; service: 'claude-peers'; version: string; federation?: Pick<FederationStatus, 'state' | 'since'> }
/**
 * This broker's place on a federation (docs/federation.md): `off` when no URL is set. Never holds
 * a credential: the URL is shown without user, password or token.
 */
export interface FederationStatus {
  state: 'off' | 'connected' | 'disconnected';
  /** When the state began (ISO): "disconnected since …". */
  since: string | null;
  url: string | null;
  network: string | null;
  /** This broker's id on the network (the fingerprint of its signing key). */
  broker: string | null;
  host: string | null;
  /** Other brokers heard from lately, and their live peers. */
  brokers: number;
  remotePeers: number;
  /** Envelopes committed here and not yet taken by NATS. */
  outbox: number;
  /** The last connection problem, in words (no credential). */
  problem: string | null;
}
/** GET /v1/status (user's token): what `claude-peers status` shows. */
export interface BrokerStatus extends Health { pid: number; port: number; home: string; startedAt: string; db: string; peers: number; federation?: FederationStatus }
export interface ProofResponse { proof: string }
export interface RegisterResponse { peer: Peer }
export interface PeersResponse { peers: Peer[] }
export interface SendResponse { messages: Message[] }
export interface InboxResponse { messages: Message[] }
export interface ConflictsResponse { conflicts: Conflict[] }
/**
 * POST /v1/hooks/<event>?handover=ack (our command hook): the hook output to print, and the ids of
 * the messages it hands over, which the hook marks read once the output is written whole. Without
 * the query (Claude Code's HTTP hooks) the answer is the hook output itself.
 */
export interface CommandHookResponse { output: Record<string, unknown> | null; handed: number[]; peer: string }
export interface WaitResponse { reason: 'message' | 'busy' | 'superseded' | 'timeout' | 'unknown_peer'; peer: Peer | null; messages: Message[] }
export interface ApiError { error: { code: string; message: string } }

// ---- events (server-sent) ------------------------------------------------------------------

export type BrokerEvent =
  | { type: 'hello'; brokerPid: number; version: string }
  /** `seal`, on the recipient's own stream: proves to the broker later that this push was real; `replay`: it waited while the stream was away. */
  | { type: 'message'; message: Message; seal?: string; replay?: boolean }
  | { type: 'message_state'; ids: number[]; toId: string; state: DeliveryState }
  | { type: 'peer'; peer: Peer }
  | { type: 'peer_gone'; peer: Peer }
  | { type: 'conflicts'; conflicts: Conflict[] }
  | { type: 'locks'; locks: LockInfo[] }
  | { type: 'claims'; claims: Claim[] }
  /** Observers only: the federation's state changed. */
  | { type: 'federation'; federation: FederationStatus };
