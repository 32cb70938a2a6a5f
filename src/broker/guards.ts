// The checks every request passes before a handler sees it, in one place: the express middleware
// and the hot path (hot-path.ts) both ask these, so the two can never disagree about who gets in.
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { API_PREFIX, HUMAN_ID } from '../protocol/wire.ts';
import type { RateLimiter } from './rate-limit.ts';
import { HttpError, tooMany } from './errors.ts';

export type HttpCheck = (req: IncomingMessage) => HttpError | null;

const LOCAL_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:(\d+))?$/;

/** DNS rebinding and web pages: a page on evil.example resolving to 127.0.0.1 still sends its own Host and an Origin. */
export function checkCaller(req: IncomingMessage): HttpError | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!LOCAL_HOST.test(host)) return new HttpError(421, 'bad_host', `Host "${host}" is not this broker: it only answers to 127.0.0.1 or localhost.`);
  // No web page may talk to the broker: browsers always send Origin on cross-origin requests.
  if (req.headers.origin !== undefined) return new HttpError(403, 'origin_forbidden', 'Requests from web pages are refused; the broker is for local tools only.');
  return null;
}

/** The bearer token, compared in constant time. */
export function tokenCheck(token: string): HttpCheck {
  const expected = Buffer.from(token);
  return (req) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const got = m ? Buffer.from(m[1]) : Buffer.alloc(0);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      return new HttpError(401, 'unauthorized', 'Missing or wrong token: send "Authorization: Bearer <token>" with the token from $CLAUDE_PEERS_HOME/token.');
    }
    return null;
  };
}

export const unsupportedMediaType = () => new HttpError(415, 'unsupported_media_type', 'Send JSON with "Content-Type: application/json".');

/** A plain JSON body: application/json, UTF-8 or no charset (what every client of ours sends). */
export const PLAIN_JSON = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;

/** Per-peer request budget; the peer is named in the path or as the sender/actor in the body. */
export function rateCheck(limiter: RateLimiter): (peerId: unknown) => HttpError | null {
  return (peerId) => {
    if (typeof peerId !== 'string' || peerId === HUMAN_ID) return null;
    const wait = limiter.take('requestsPerMin', peerId);
    return wait ? tooMany(wait, 'requests', limiter.limit('requestsPerMin')) : null;
  };
}

const PEER_IN_PATH = new RegExp(`^${API_PREFIX}/peers/([^/]+)/`);

/** The peer a request acts for: named in the path, or the sender/actor in the body. */
export function actingPeer(path: string, body: unknown): unknown {
  return PEER_IN_PATH.exec(path)?.[1] ?? (body && typeof body === 'object' ? ((body as { from?: unknown; peer?: unknown }).from ?? (body as { peer?: unknown }).peer) : undefined);
}
