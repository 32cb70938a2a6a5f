// The broker's HTTP API (documented in docs/api.md): each handler parses its request and makes one
// call to the service (service.ts), which owns every rule. Every failure goes through one error
// mapper (errors.ts). The routes that run per message or per tool call are also served without
// express by the fast path (hot-path.ts), with the same checks and the same handlers.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodTypeAny, output } from 'zod';
import {
  AckRequest, API_PREFIX, ClaimRequest, HUMAN_ID, LockAcquireRequest, LockReleaseRequest, MAX_BODY_BYTES, MAX_HOOK_BODY_BYTES,
  RegisterRequest, SendRequest, SummaryRequest, UnclaimRequest, WaitRequest, type BrokerStatus, type Health,
} from '../protocol/wire.ts';
import { VERSION } from '../common/config.ts';
import { ApiError, mapError } from './errors.ts';
import { authenticate, checkCaller, rateCheck, unsupportedMediaType } from './guards.ts';
import { hotPath, type HotRoutes } from './hot-path.ts';
import { parsePolicy } from './hook-output.ts';
import { RateLimiter } from './rate-limit.ts';
import { PeerService, type Principal } from './service.ts';
import type { Store } from './store.ts';

export interface AppDeps {
  store: Store;
  secrets: { token: string; joinToken: string };
  port: () => number;
  home: string;
  startedAt: string;
  /** The database as `claude-peers status` shows it (driver and path). */
  dbLabel: () => string;
  limiter?: RateLimiter;
  log?: (line: string) => void;
}

const parse = <S extends ZodTypeAny>(schema: S, body: unknown): output<S> => schema.parse(body ?? {});
const principalOf = (res: Response) => res.locals.principal as Principal;

export function createApp(deps: AppDeps) {
  const limiter = deps.limiter ?? RateLimiter.fromEnv();
  const service = new PeerService({ store: deps.store, secrets: deps.secrets, limiter, log: deps.log });
  const checkRate = rateCheck(limiter);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, _res, next) => next(checkCaller(req) ?? undefined));

  // Without a credential: that a claude-peers broker answers, and the proof that it is ours.
  app.get(`${API_PREFIX}/health`, (_req, res) => {
    const { state, since } = service.federationStatus();
    res.json({ ok: true, service: 'claude-peers', version: VERSION, federation: { state, since } } satisfies Health);
  });
  app.get(`${API_PREFIX}/proof`, (req, res) => {
    const nonce = typeof req.query.nonce === 'string' ? req.query.nonce : '';
    if (!/^[0-9a-f]{32}$/.test(nonce)) throw new ApiError(400, 'invalid_request', 'The nonce is 32 hex characters.');
    res.json({ proof: service.proof(req.socket.localPort ?? 0, nonce) });
  });

  app.use((req, res, next) => {
    const who = authenticate(service, req);
    if (who instanceof ApiError) return next(who);
    res.locals.principal = who;
    next(checkRate(service.rateKey(who)) ?? undefined);
  });

  app.use((req, _res, next) => {
    const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
    next(hasBody && !req.is('application/json') ? unsupportedMediaType() : undefined);
  });
  // A hook's input carries the tool's whole result; everything else is small.
  app.use(`${API_PREFIX}/hooks`, express.json({ limit: MAX_HOOK_BODY_BYTES, strict: true }));
  app.use(express.json({ limit: MAX_BODY_BYTES, strict: true }));

  app.get(`${API_PREFIX}/status`, (_req, res) => {
    const p = principalOf(res);
    if (p.kind !== 'user') throw new ApiError(403, 'forbidden', 'The broker\'s status needs the user\'s token ($CLAUDE_PEERS_HOME/token).');
    res.json({
      ok: true, service: 'claude-peers', version: VERSION, pid: process.pid, port: deps.port(), home: deps.home,
      startedAt: deps.startedAt, db: deps.dbLabel(), peers: deps.store.listPeers().length, federation: service.federationStatus(),
    } satisfies BrokerStatus);
  });

  // ---- peers -------------------------------------------------------------------------------

  app.post(`${API_PREFIX}/peers`, (req, res) => {
    res.json({ peer: service.register(principalOf(res), parse(RegisterRequest, req.body)) });
  });

  app.get(`${API_PREFIX}/peers`, (req, res) => {
    res.type('application/json').send(service.listPeersJson(principalOf(res), req.query.all === '1', req.query.network === '1'));
  });

  app.get(`${API_PREFIX}/peers/:id`, (req, res) => {
    res.json({ peer: service.peer(principalOf(res), req.params.id) });
  });

  // The message path: one handler per route serves both express and the fast path.
  const hot: HotRoutes = {
    proof: (port, nonce) => service.proof(port, nonce),
    heartbeat: (who, id) => service.heartbeat(who, id!),
    ack: (who, id, body) => service.ack(who, id!, parse(AckRequest, body)),
    send: async (who, _id, body) => ({ messages: await service.send(who, parse(SendRequest, body)) }),
    hook: async (who, event, body, query, res) => {
      const policy = { conflicts: parsePolicy(query.get('conflicts'), 'warn'), locks: parsePolicy(query.get('locks'), 'deny') };
      const out = await service.hook(who, event!, body, policy);
      // Our command hook marks read what it wrote out whole; for Claude Code's HTTP hooks, the
      // answer written to the socket is the hand-over.
      if (query.get('handover') === 'ack') return out;
      if (out.handed.length && who.kind === 'session') {
        res.once('finish', () => service.markState(who.peerId, out.handed, 'read'));
      }
      return out.output;
    },
  };

  app.post(`${API_PREFIX}/peers/:id/heartbeat`, (req, res) => {
    res.json(hot.heartbeat(principalOf(res), req.params.id, req.body, new URLSearchParams(), res));
  });

  app.put(`${API_PREFIX}/peers/:id/summary`, (req, res) => {
    res.json({ peer: service.setSummary(principalOf(res), req.params.id, parse(SummaryRequest, req.body).summary) });
  });

  app.get(`${API_PREFIX}/peers/:id/inbox`, (req, res) => {
    res.json({ messages: service.inbox(principalOf(res), req.params.id, req.query.state === 'all') });
  });

  app.post(`${API_PREFIX}/peers/:id/ack`, (req, res) => {
    res.json(hot.ack(principalOf(res), req.params.id, req.body, new URLSearchParams(), res));
  });

  // ---- messages ----------------------------------------------------------------------------

  app.post(`${API_PREFIX}/messages`, async (req, res) => {
    res.json(await hot.send(principalOf(res), null, req.body, new URLSearchParams(), res));
  });

  app.get(`${API_PREFIX}/messages`, (req, res) => {
    // A whole number in 1..2000: SQLite refuses a fractional LIMIT (it was a 500) and reads a negative one as "no limit".
    const limit = Math.min(Math.max(Math.trunc(Number(req.query.limit)) || 200, 1), 2000);
    const before = req.query.before ? Number(req.query.before) : undefined;
    res.json({ messages: service.recentMessages(principalOf(res), limit, before) });
  });

  // ---- hooks -------------------------------------------------------------------------------

  app.post(`${API_PREFIX}/hooks/wait`, async (req, res) => {
    const r = parse(WaitRequest, req.body);
    const answer = await service.wait(principalOf(res), r.waitMs, (cancel) => res.on('close', cancel));
    if (!res.writableEnded) res.json(answer);
  });

  app.post(`${API_PREFIX}/hooks/:event`, async (req, res) => {
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    res.json((await hot.hook(principalOf(res), req.params.event, req.body, query, res)) ?? {});
  });

  app.get(`${API_PREFIX}/conflicts`, (_req, res) => {
    if (principalOf(res).kind === 'join') throw new ApiError(403, 'forbidden', 'Register first (POST /v1/peers), then act with your session key.');
    res.json({ conflicts: service.conflicts() });
  });

  // ---- locks and claims --------------------------------------------------------------------

  app.get(`${API_PREFIX}/locks`, (_req, res) => {
    res.json({ locks: service.locks(principalOf(res)) });
  });

  app.post(`${API_PREFIX}/locks/:name/acquire`, async (req, res) => {
    res.json(await service.acquire(principalOf(res), req.params.name, parse(LockAcquireRequest, req.body), () => res.destroyed));
  });

  app.post(`${API_PREFIX}/locks/:name/release`, (req, res) => {
    res.json(service.release(principalOf(res), req.params.name, !!parse(LockReleaseRequest, req.body).force));
  });

  app.get(`${API_PREFIX}/claims`, (_req, res) => {
    res.json({ claims: service.claims(principalOf(res)) });
  });

  app.post(`${API_PREFIX}/claims`, (req, res) => {
    res.json(service.claim(principalOf(res), parse(ClaimRequest, req.body)));
  });

  app.post(`${API_PREFIX}/claims/release`, (req, res) => {
    res.json(service.unclaim(principalOf(res), parse(UnclaimRequest, req.body)));
  });

  // ---- events ------------------------------------------------------------------------------

  app.get(`${API_PREFIX}/events`, (req, res) => {
    const peerId = typeof req.query.peer === 'string' ? req.query.peer : null;
    service.openStream(principalOf(res), res, peerId === HUMAN_ID ? null : peerId);
  });

  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `No route ${req.method} ${req.path}; see docs/api.md.`)));

  // One place maps every failure to { error: { code, message } }.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, code, message } = mapError(err);
    if (res.headersSent) { res.end(); return; }
    res.status(status).json({ error: { code, message } });
  });

  const serveHot = hotPath(hot, (req) => authenticate(service, req), (who) => checkRate(service.rateKey(who)));
  /** The request listener: the fast path first, express for everything else. */
  const handle = (req: IncomingMessage, res: ServerResponse) => { if (!serveHot(req, res)) app(req, res); };

  return { app, handle, service, close: () => service.close() };
}
