// The requests that run once per message or per tool call, served by node:http directly: the
// broker's proof, send, ack, heartbeat, and the hooks. express spends about 150 µs of CPU per
// request on a small VM, more than the whole rest of a send. Only the plain case is served here:
// any request with something unusual about it (an encoding, no length, a wrong host) falls through
// to express, which answers or refuses it exactly as docs/api.md says. Both share the checks
// (guards.ts), the handlers and the error mapping.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PREFIX, MAX_BODY_BYTES, MAX_HOOK_BODY_BYTES } from '../protocol/constants.ts';
import { PLAIN_JSON, checkCaller } from './guards.ts';
import { badJson, mapError, type ApiError } from './errors.ts';
import type { Principal } from './service.ts';

/** A route's work: who asks, the path's parameter, the query and the parsed body in; the answer out. */
export type HotHandler = (who: Principal, param: string | null, body: unknown, query: URLSearchParams, res: ServerResponse) => unknown;
export interface HotRoutes { send: HotHandler; ack: HotHandler; heartbeat: HotHandler; hook: HotHandler; proof: (port: number, nonce: string) => string }

const PEER_ROUTE = new RegExp(`^${API_PREFIX}/peers/([A-Za-z0-9_-]{1,64})/(ack|heartbeat)$`);
const HOOK_ROUTE = new RegExp(`^${API_PREFIX}/hooks/([A-Za-z]{1,40})$`);
const PROOF_ROUTE = new RegExp(`^${API_PREFIX}/proof\\?nonce=([0-9a-f]{32})$`);

/** Returns a request listener that serves a hot request and returns true, or returns false. */
export function hotPath(routes: HotRoutes, auth: (req: IncomingMessage) => Principal | ApiError, rate: (who: Principal) => Error | null) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const raw = req.url ?? '';
    if (req.method === 'GET') {
      const m = PROOF_ROUTE.exec(raw);
      if (!m || checkCaller(req)) return false;
      reply(res, 200, { proof: routes.proof(req.socket.localPort ?? 0, m[1]) });
      return true;
    }
    if (req.method !== 'POST') return false;
    const q = raw.indexOf('?');
    const url = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    let handler: HotHandler;
    let param: string | null = null;
    let limit = MAX_BODY_BYTES;
    if (url === `${API_PREFIX}/messages` && q < 0) handler = routes.send;
    else {
      const m = PEER_ROUTE.exec(url);
      const h = m ? null : HOOK_ROUTE.exec(url);
      if (m && q < 0) { param = m[1]; handler = m[2] === 'ack' ? routes.ack : routes.heartbeat; }
      else if (h && h[1] !== 'wait') { param = h[1]; handler = routes.hook; limit = MAX_HOOK_BODY_BYTES; }
      else return false;
    }
    const hd = req.headers;
    const length = Number(hd['content-length']);
    if (!(length >= 0 && length <= limit) || hd['transfer-encoding'] !== undefined || hd['content-encoding'] !== undefined) return false;
    if (!PLAIN_JSON.test(hd['content-type'] ?? '') || checkCaller(req)) return false;
    const who = auth(req);
    if (!('kind' in who)) return false; // express answers 401 with the same words

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const limited = rate(who);
          if (limited) throw limited;
          const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
          reply(res, 200, await handler(who, param, parseBody(text), query, res));
        } catch (e) {
          const { status, code, message } = mapError(e);
          reply(res, status, { error: { code, message } });
        }
      })();
    });
    return true;
  };
}

/** What express.json({ strict: true }) accepts: an object or an array; an empty body is {}. */
function parseBody(text: string): unknown {
  if (!text) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw badJson();
  try { return JSON.parse(text); } catch { throw badJson(); }
}

export function reply(res: ServerResponse, status: number, value: unknown): void {
  const json = value === null || value === undefined ? '{}' : JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}
