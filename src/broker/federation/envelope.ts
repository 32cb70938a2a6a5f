// What brokers say to each other, and where. Every payload is validated on arrival (zod, unknown
// keys dropped so a newer broker's extra fields do no harm), because everything in it is written
// by another machine: names and host labels are cleaned, texts capped, ids checked against the
// patterns the routes accept.
//
// Names on NATS, for network N and brokers A, B:
//   stream  CP_N            subjects cp.N.m.>       messages and delivery states, A → B on cp.N.m.B.A
//   consumer in_B           filter  cp.N.m.B.*      B's inbox (durable: what waits while B is away)
//   KV      cp_N_presence   b.A, p.A.<peer id>      A's heartbeat and each of its live peers
//   KV      cp_N_locks      l.<hash of the name>    network-wide locks
// Each name carries the publishing broker's id, so per-broker NATS permissions can pin a broker to
// its own subjects (docs/federation.md); the signature pins it even without them.
import { z } from 'zod';
import { MAX_MESSAGE_BYTES } from '../../protocol/constants.ts';
import { BROKER_ID_RE } from './keys.ts';

export const streamName = (net: string) => `CP_${net}`;
export const msgSubject = (net: string, to: string, from: string) => `cp.${net}.m.${to}.${from}`;
export const inboxFilter = (net: string, me: string) => `cp.${net}.m.${me}.*`;
export const consumerName = (me: string) => `in_${me}`;
export const presenceBucket = (net: string) => `cp_${net}_presence`;
export const locksBucket = (net: string) => `cp_${net}_locks`;
export const brokerKey = (b: string) => `b.${b}`;
export const peerKey = (b: string, peer: string) => `p.${b}.${peer}`;
/** Where a KV entry was written: part of what its signature covers. */
export const kvWhere = (bucket: string, key: string) => `kv:${bucket}/${key}`;

/** The broker a subject or key names as its publisher, or null. */
export function publisherOf(subjectOrKey: string, net: string): { broker: string; kind: 'msg' | 'broker' | 'peer' | 'lock'; rest: string | null } | null {
  const parts = subjectOrKey.split('.');
  if (parts[0] === 'cp' && parts[1] === net && parts[2] === 'm' && parts.length === 5 && BROKER_ID_RE.test(parts[4])) return { broker: parts[4], kind: 'msg', rest: parts[3] };
  if (parts[0] === 'b' && parts.length === 2 && BROKER_ID_RE.test(parts[1])) return { broker: parts[1], kind: 'broker', rest: null };
  if (parts[0] === 'p' && parts.length === 3 && BROKER_ID_RE.test(parts[1])) return { broker: parts[1], kind: 'peer', rest: parts[2] };
  return null;
}

/** A peer id as another broker sends it (ours are p_/n_ and 12 hex digits; a newer broker's may differ). */
const originId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
const brokerId = z.string().regex(BROKER_ID_RE);
/** Text of another machine: capped, one line where it is a field. */
const field = (max: number) => z.string().max(max * 4).transform((s) => s.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').slice(0, max));
/** A path of another machine: shown, never opened; no control characters (it may reach a terminal). */
const path = z.string().max(4096).transform((s) => s.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' '));
/** A time as another machine wrote it, rewritten as ISO (or the epoch when it is none). */
const when = z.string().max(40).transform((s) => { const t = Date.parse(s); return new Date(Number.isNaN(t) ? 0 : t).toISOString(); });

export const BrokerPayload = z.object({
  t: z.literal('broker'),
  b: brokerId,
  host: field(100),
  version: field(40),
  /** The sender's clock (ms): judges an entry found on start (a broker that died leaves its last one). */
  at: z.number().finite(),
  peers: z.number().int().min(0).max(1_000_000),
});
export type BrokerPayload = z.infer<typeof BrokerPayload>;

export const PeerPayload = z.object({
  t: z.literal('peer'),
  b: brokerId,
  peer: z.object({
    id: originId,
    name: field(64),
    kind: z.enum(['peer', 'native']).catch('peer'),
    status: z.enum(['working', 'idle', 'waiting']).catch('idle'),
    cwd: path,
    gitRoot: path.nullable(),
    branch: field(200).nullable(),
    summary: field(1000).nullable(),
    task: field(1000).nullable(),
    channels: z.boolean().catch(false),
    registeredAt: when,
    lastSeen: when,
    /** The repository's identity (normalised remote URL), for conflicts and the repo scope. */
    repo: z.string().max(500).nullable(),
    files: z.array(z.object({ path, rel: path.nullable(), at: when, tool: field(40) })).max(20),
  }),
});
export type PeerPayload = z.infer<typeof PeerPayload>;

export const MsgPayload = z.object({
  t: z.literal('msg'),
  b: brokerId,
  /** Per (sender broker → receiving broker): the receiver stores them in this order, each once. */
  seq: z.number().int().positive(),
  /** The message's id at its origin. */
  id: z.number().int().positive(),
  from: z.object({ id: originId, name: field(64), kind: z.enum(['peer', 'human']), cwd: path.nullable(), repo: path.nullable() }),
  /** The recipients on the receiving broker, by their ids there. */
  to: z.array(z.object({ id: originId, name: field(64) })).min(1).max(5000),
  body: z.string().refine((s) => Buffer.byteLength(s) <= MAX_MESSAGE_BYTES, 'message too large'),
  /** The message answered, named by its origin broker and its id there. */
  replyTo: z.object({ b: brokerId, id: z.number().int().positive() }).nullable(),
  broadcast: z.enum(['machine', 'directory', 'repo', 'network']).nullable(),
  sentAt: z.number().finite(),
});
export type MsgPayload = z.infer<typeof MsgPayload>;

export const StatePayload = z.object({
  t: z.literal('state'),
  b: brokerId,
  seq: z.number().int().positive(),
  /** Messages of the receiving broker (its ids) that reached a recipient here (its id here). */
  items: z.array(z.object({ id: z.number().int().positive(), to: originId, state: z.enum(['delivered', 'read']) })).min(1).max(10_000),
});
export type StatePayload = z.infer<typeof StatePayload>;

export const InboxPayload = z.discriminatedUnion('t', [MsgPayload, StatePayload]);
export type InboxPayload = z.infer<typeof InboxPayload>;

export const LockPayload = z.object({
  t: z.literal('lock'),
  b: brokerId,
  /** The network-wide name (a repository's locks by its identity, so clones on two hosts share them). */
  name: z.string().min(1).max(600),
  host: field(100),
  peer: z.object({ id: originId, name: field(64) }),
  reason: field(500).nullable(),
  acquiredAt: z.number().finite(),
  /** The holder's lease: refreshed while held; a holder that vanished stops refreshing. */
  expiresAt: z.number().finite(),
});
export type LockPayload = z.infer<typeof LockPayload>;
