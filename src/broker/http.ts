// The broker's HTTP API (documented in docs/api.md). Handlers stay thin: check, one store call,
// JSON out, events to the streams. Every failure goes through one error mapper (errors.ts). The
// message routes are also served without express by the hot path, with the same checks.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodTypeAny, output } from 'zod';
import {
  AckRequest, API_PREFIX, ClaimRequest, HookRequest, WaitRequest, type WaitResponse, LockAcquireRequest, LockReleaseRequest, UnclaimRequest, MAX_BODY_BYTES, MAX_MESSAGE_BYTES, RegisterRequest, SendRequest,
  SummaryRequest, HUMAN_ID, type BrokerEvent, type Conflict, type HookResponse, type Message,
} from '../protocol/wire.ts';
import { Store, StoreError, pathKey, type SendArgs } from './store.ts';
import { Coordination } from './coordination.ts';
import { RateLimiter } from './rate-limit.ts';
import { Waiters } from './waiters.ts';
import { GroupCommit } from './group-commit.ts';
import { locksForCommand, lockName } from '../common/lock-commands.ts';
import { EventHub } from './events.ts';
import { VERSION } from '../common/config.ts';
import { HttpError, mapError, tooMany } from './errors.ts';
import { actingPeer, checkCaller, rateCheck, tokenCheck, unsupportedMediaType } from './guards.ts';
import { hotPath, type HotRoutes } from './hot-path.ts';

export interface AppDeps {
  store: Store;
  hub: EventHub;
  token: string;
  port: () => number;
  startedAt: string;
  /** The database as `claude-peers status` shows it (driver, path, where checkpoints run). */
  dbLabel: () => string;
  limiter?: RateLimiter;
}

export function createApp(deps: AppDeps) {
  const { store, hub } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const checkToken = tokenCheck(deps.token);
  const coord = new Coordination(store.db);
  const waiters = new Waiters();
  let lastConflicts = '[]';
  let lastLocks = '[]';
  let lastClaims = '[]';

  /** Edit/edit conflicts, plus edits of files another live peer has claimed. */
  const allConflicts = (): Conflict[] => {
    const byKey = new Map(store.conflicts().map((c) => [pathKey(c.path), c]));
    // One claims query for all touches: per touch it scanned every live peer (O(peers × touches)).
    const claims = coord.claims();
    for (const t of claims.length ? store.recentTouches() : []) {
      for (const cc of coord.claimsOn(t.path, t.peerId, claims)) {
        const key = pathKey(t.path);
        const c = byKey.get(key) ?? { path: t.path, peers: [] };
        const add = [{ id: t.peerId, name: t.peerName, at: new Date(t.at).toISOString(), how: 'edit' as const }, ...cc.peers];
        for (const p of add) if (!c.peers.some((q) => q.id === p.id && q.how === p.how)) c.peers.push(p);
        byKey.set(key, c);
      }
    }
    return [...byKey.values()];
  };

  /** Tells observers about locks and claims when they changed. */
  const publishCoordination = () => {
    const locks = coord.locks();
    const lj = JSON.stringify(locks);
    if (lj !== lastLocks) { lastLocks = lj; hub.broadcast({ type: 'locks', locks }); }
    const claims = coord.claims();
    const cj = JSON.stringify(claims);
    if (cj !== lastClaims) { lastClaims = cj; hub.broadcast({ type: 'claims', claims }); }
  };

  /** Tells observers when the set of conflicting files changed. */
  const publishConflicts = (): Conflict[] => {
    const conflicts = allConflicts();
    const json = JSON.stringify(conflicts);
    if (json !== lastConflicts) {
      lastConflicts = json;
      hub.broadcast({ type: 'conflicts', conflicts });
    }
    return conflicts;
  };

  app.use((req, _res, next) => next(checkCaller(req) ?? undefined));

  app.get(`${API_PREFIX}/health`, (_req, res) => {
    res.json({ ok: true, version: VERSION, pid: process.pid, startedAt: deps.startedAt, db: deps.dbLabel() });
  });

  app.use((req, _res, next) => next(checkToken(req) ?? undefined));

  app.use((req, _res, next) => {
    const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
    next(hasBody && !req.is('application/json') ? unsupportedMediaType() : undefined);
  });
  app.use(express.json({ limit: MAX_BODY_BYTES, strict: true }));

  const limiter = deps.limiter ?? RateLimiter.fromEnv();
  const checkRate = rateCheck(limiter);
  // The sender is looked up inside the batch's transaction: a read outside one is a transaction of its own.
  const sends = new GroupCommit(store.db, ({ from, ...a }: Omit<SendArgs, 'sender'> & { from: string | null }) => {
    const sender = from ? store.sender(from) : null;
    if (from && !sender) throw new StoreError(404, 'unknown_peer', `Sender ${from} is not registered: register first (POST /v1/peers).`);
    return store.sendWithin({ ...a, sender });
  }, (e) => e instanceof StoreError);
  app.use((req, _res, next) => next(checkRate(actingPeer(req.path, req.body)) ?? undefined));

  const parse = <S extends ZodTypeAny>(schema: S, body: unknown): output<S> => schema.parse(body ?? {});

  // ---- peers -------------------------------------------------------------------------------

  app.post(`${API_PREFIX}/peers`, (req, res) => {
    const peer = store.upsertPeer({ ...parse(RegisterRequest, req.body), status: undefined });
    hub.broadcast({ type: 'peer', peer });
    res.json({ peer });
  });

  // The live list is read on every list_peers and by every observer; it changes only when a peer
  // event is announced (heartbeats move lastSeen alone, so up to a second of staleness there).
  let livePeers: { json: string; version: number; at: number } | null = null;
  app.get(`${API_PREFIX}/peers`, (req, res) => {
    if (req.query.all === '1') { res.json({ peers: store.listPeers(true) }); return; }
    const now = Date.now();
    if (!livePeers || livePeers.version !== hub.peerVersion || now - livePeers.at > 1000) {
      livePeers = { json: JSON.stringify({ peers: store.listPeers() }), version: hub.peerVersion, at: now };
    }
    res.type('application/json').send(livePeers.json);
  });

  app.get(`${API_PREFIX}/peers/:id`, (req, res) => {
    const peer = store.peer(req.params.id);
    if (!peer) throw new HttpError(404, 'unknown_peer', `No peer with id ${req.params.id}.`);
    res.json({ peer });
  });

  // The message path: one handler per route serves both express and the hot path (hot-path.ts).
  const hot: HotRoutes = {
    heartbeat: (id) => ({ peer: store.heartbeat(id!) }),
    ack: (id, body) => {
      const { ids, state } = parse(AckRequest, body);
      const changed = store.setState(id!, ids, state);
      // The recipient's own server hears it too: it keeps the "N unread" line without asking.
      if (changed.length) hub.broadcast({ type: 'message_state', ids: changed, toId: id!, state }, id!);
      return { changed };
    },
    send: async (_id, body) => {
      const r = parse(SendRequest, body);
      if (Buffer.byteLength(r.body) > MAX_MESSAGE_BYTES) {
        throw new HttpError(413, 'message_too_large', `The message is ${Buffer.byteLength(r.body)} bytes; the limit is ${MAX_MESSAGE_BYTES}. Shorten it, or put the details in a file and send its path.`);
      }
      const from = r.from && r.from !== HUMAN_ID ? r.from : null;
      if (from) {
        const wait = limiter.take('messagesPerMin', from);
        if (wait) throw tooMany(wait, 'messages', limiter.limit('messagesPerMin'));
      }
      const messages = await sends.submit({ from, fromName: r.fromName, to: r.to, body: r.body, replyTo: r.replyTo });
      hub.messages(messages);
      for (const m of messages) waiters.wake(m.toId, 'message');
      return { messages };
    },
  };

  app.post(`${API_PREFIX}/peers/:id/heartbeat`, (req, res) => {
    res.json(hot.heartbeat(req.params.id, req.body));
  });

  app.put(`${API_PREFIX}/peers/:id/summary`, (req, res) => {
    const peer = store.setSummary(req.params.id, parse(SummaryRequest, req.body).summary);
    hub.broadcast({ type: 'peer', peer });
    res.json({ peer });
  });

  app.get(`${API_PREFIX}/peers/:id/inbox`, (req, res) => {
    const states = req.query.state === 'all' ? (['queued', 'delivered', 'read'] as const) : (['queued', 'delivered'] as const);
    res.json({ messages: store.inbox(req.params.id, [...states]) });
  });

  app.post(`${API_PREFIX}/peers/:id/ack`, (req, res) => {
    res.json(hot.ack(req.params.id, req.body));
  });

  // ---- messages ----------------------------------------------------------------------------

  app.post(`${API_PREFIX}/messages`, async (req, res) => {
    res.json(await hot.send(null, req.body));
  });

  app.get(`${API_PREFIX}/messages`, (req, res) => {
    // A whole number in 1..2000: SQLite refuses a fractional LIMIT (it was a 500) and reads a negative one as "no limit".
    const limit = Math.min(Math.max(Math.trunc(Number(req.query.limit)) || 200, 1), 2000);
    const before = req.query.before ? Number(req.query.before) : undefined;
    res.json({ messages: store.recentMessages(limit, before) });
  });

  // ---- hooks -------------------------------------------------------------------------------

  app.post(`${API_PREFIX}/hooks`, (req, res) => {
    const h = parse(HookRequest, req.body);
    const { peer, read } = store.applyHook(h);
    hub.broadcast({ type: 'peer', peer });
    if (read.length) hub.broadcast({ type: 'message_state', ids: read, toId: peer.id, state: 'read' }, peer.id);
    // The session is working again: an idle-rewake waiter has nothing to do.
    if (h.event === 'UserPromptSubmit' || h.event === 'PreToolUse' || h.event === 'SessionEnd') waiters.wake(peer.id, 'busy');
    let messages: Message[] = [];
    if (h.event !== 'PreToolUse' && h.event !== 'SessionEnd' && !(h.event === 'Stop' && h.stopHookActive)) {
      messages = store.inbox(peer.id);
    }
    const conflicts = h.event === 'PreToolUse' && h.filePath
      ? [...store.othersOnFile(peer.id, h.filePath), ...coord.claimsOn(h.filePath, peer.id)]
      : [];
    if (h.event === 'PostToolUse' && h.filePath) publishConflicts();
    const out: HookResponse = { peer, messages, conflicts };
    if (h.toolName === 'Bash' && h.command) {
      if (h.event === 'PreToolUse') {
        // Take the locks this command needs for its duration; report the first one held elsewhere.
        const repo = peer.gitRoot ?? peer.cwd;
        for (const kind of locksForCommand(h.command)) {
          const name = lockName(kind, repo);
          const r = coord.acquire(peer.id, name, 10 * 60_000, `auto: ${h.command.slice(0, 120)}`);
          if (!r.granted) {
            coord.release(name, peer.id); // the hook does not wait in line
            out.lockBlocked = r.lock;
            coord.releaseAuto(peer.id);
            break;
          }
        }
      } else if (h.event === 'PostToolUse') {
        coord.releaseAuto(peer.id);
      }
      publishCoordination();
    }
    if (h.event === 'SessionStart') {
      out.peers = store.listPeers().filter((p) => p.id !== peer.id);
      out.locks = coord.locks().filter((l) => l.holder?.id === peer.id || l.waiters.some((w) => w.id === peer.id));
      out.claims = coord.claims().filter((c) => c.peerId === peer.id);
    }
    res.json(out);
  });

  app.post(`${API_PREFIX}/hooks/wait`, async (req, res) => {
    const r = parse(WaitRequest, req.body);
    const found = store.peerByPid(r.pid, r.pidStart ?? null);
    const answer = (reason: WaitResponse['reason'], peer = found) => {
      if (!res.writableEnded) res.json({ reason, peer, messages: reason === 'message' && peer ? store.inbox(peer.id) : [] } satisfies WaitResponse);
    };
    if (!found) return answer('unknown_peer');
    if (store.inbox(found.id).length) return answer('message');
    const w = waiters.wait(found.id, r.waitMs);
    res.on('close', () => w.cancel());
    const reason = await w.done;
    answer(reason, store.peer(found.id));
  });

  app.get(`${API_PREFIX}/conflicts`, (_req, res) => {
    res.json({ conflicts: allConflicts() });
  });

  // ---- locks and claims --------------------------------------------------------------------

  const livePeer = (id: string) => {
    const p = store.peer(id);
    if (!p || p.status === 'gone') throw new HttpError(404, 'unknown_peer', `No live peer with id ${id}: register first.`);
    return p;
  };

  app.get(`${API_PREFIX}/locks`, (_req, res) => {
    coord.cleanup();
    res.json({ locks: coord.locks() });
  });

  app.post(`${API_PREFIX}/locks/:name/acquire`, async (req, res) => {
    const r = parse(LockAcquireRequest, req.body);
    livePeer(r.peer);
    const name = req.params.name;
    const deadline = Date.now() + r.waitMs;
    let out = coord.acquire(r.peer, name, r.ttlMs, r.reason ?? null);
    publishCoordination();
    // Long poll: stay in the queue until granted or the wait is over.
    while (!out.granted && Date.now() < deadline && !res.destroyed) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      out = coord.acquire(r.peer, name, r.ttlMs, r.reason ?? null);
    }
    if (!out.granted && r.waitMs > 0) coord.release(name, r.peer); // stop waiting: leave the queue
    publishCoordination();
    res.json(out);
  });

  app.post(`${API_PREFIX}/locks/:name/release`, (req, res) => {
    const r = parse(LockReleaseRequest, req.body);
    if (!r.force && !r.peer) throw new HttpError(400, 'invalid_request', 'Give the releasing peer, or force: true to break the lock.');
    const released = coord.release(req.params.name, r.peer ?? null, !!r.force);
    publishCoordination();
    res.json({ released });
  });

  app.get(`${API_PREFIX}/claims`, (_req, res) => {
    res.json({ claims: coord.claims() });
  });

  app.post(`${API_PREFIX}/claims`, (req, res) => {
    const r = parse(ClaimRequest, req.body);
    const peer = livePeer(r.peer);
    const claims = coord.claim(peer.id, absolutise(peer.cwd, r.paths), r.reason ?? null, r.ttlMs);
    publishCoordination();
    publishConflicts();
    res.json({ claims });
  });

  app.post(`${API_PREFIX}/claims/release`, (req, res) => {
    const r = parse(UnclaimRequest, req.body);
    const peer = livePeer(r.peer);
    const released = coord.unclaim(peer.id, r.paths ? absolutise(peer.cwd, r.paths) : null);
    publishCoordination();
    publishConflicts();
    res.json({ released });
  });

  // ---- events ------------------------------------------------------------------------------

  app.get(`${API_PREFIX}/events`, (req, res) => {
    const peerId = typeof req.query.peer === 'string' ? req.query.peer : null;
    if (peerId && !store.peer(peerId)) throw new HttpError(404, 'unknown_peer', `No peer with id ${peerId}: register first.`);
    const send = hub.subscribe(res, peerId);
    send({ type: 'hello', brokerPid: process.pid, version: VERSION });
    // At-least-once: everything the peer's server has not acknowledged is sent again on connect.
    if (peerId) for (const m of store.inbox(peerId, ['queued'])) send({ type: 'message', message: m });
  });

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `No route ${req.method} ${req.path}; see docs/api.md.`)));

  // One place maps every failure to { error: { code, message } }.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, code, message } = mapError(err);
    if (res.headersSent) { res.end(); return; }
    res.status(status).json({ error: { code, message } });
  });

  /** After a liveness sweep: drop what dead sessions held, tell observers. */
  const afterSweep = () => {
    coord.cleanup();
    publishCoordination();
    publishConflicts();
  };

  const serveHot = hotPath(hot, checkToken, checkRate);
  /** The request listener: the hot path first, express for everything else. */
  const handle = (req: IncomingMessage, res: ServerResponse) => { if (!serveHot(req, res)) app(req, res); };

  return { app, handle, publishConflicts, afterSweep, close: () => waiters.close() };
}

/** Claims name files relative to the claiming peer's working directory unless absolute. */
function absolutise(cwd: string, paths: string[]): string[] {
  const base = cwd.replace(/[\\/]+$/, '');
  return paths.map((p) => (/^([A-Za-z]:)?[\\/]/.test(p) ? p : `${base}/${p.replace(/^\.\//, '')}`));
}

export type { BrokerEvent };
