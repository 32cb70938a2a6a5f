// The requests that carry message traffic (send, ack, heartbeat) served by node:http directly.
// express spends about 150 µs of CPU per request on a small VM, more than the whole rest of a
// send, and these routes run once per message. Only the plain case is served here: any request
// with something unusual about it (a query, an encoding, no length, a wrong token or host) falls
// through to express, which answers or refuses it exactly as docs/api.md says. Both share the
// checks (guards.ts), the handlers and the error mapping.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PREFIX, MAX_BODY_BYTES } from '../protocol/wire.ts';
import { PLAIN_JSON, actingPeer, checkCaller, type HttpCheck } from './guards.ts';
import { badJson, mapError } from './errors.ts';

/** A route's work: the peer id from the path (or null) and the parsed body in, the JSON answer out. */
export type HotHandler = (peerInPath: string | null, body: unknown) => unknown;
export interface HotRoutes { send: HotHandler; ack: HotHandler; heartbeat: HotHandler }

const PEER_ROUTE = new RegExp(`^${API_PREFIX}/peers/([A-Za-z0-9_-]{1,64})/(ack|heartbeat)$`);

/** Returns a request listener that serves a hot request and returns true, or returns false. */
export function hotPath(routes: HotRoutes, checkToken: HttpCheck, checkRate: (peerId: unknown) => Error | null) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    let handler: HotHandler;
    let peerInPath: string | null = null;
    if (url === `${API_PREFIX}/messages`) handler = routes.send;
    else {
      const m = PEER_ROUTE.exec(url);
      if (!m) return false;
      peerInPath = m[1];
      handler = m[2] === 'ack' ? routes.ack : routes.heartbeat;
    }
    const h = req.headers;
    const length = Number(h['content-length']);
    if (!(length >= 0 && length <= MAX_BODY_BYTES) || h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return false;
    if (!PLAIN_JSON.test(h['content-type'] ?? '') || checkCaller(req) || checkToken(req)) return false;

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
          const body = parseBody(text);
          const limited = checkRate(actingPeer(url, body));
          if (limited) throw limited;
          reply(res, 200, await handler(peerInPath, body));
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

function reply(res: ServerResponse, status: number, value: unknown): void {
  const json = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}
