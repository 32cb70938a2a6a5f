// The checks every request passes before a handler sees it, in one place: the express middleware
// and the fast path (hot-path.ts) both ask these, so the two can never disagree about who gets in.
import type { IncomingMessage } from 'node:http';
import { API_PREFIX, HUMAN_ID } from '../protocol/constants.ts';
import type { RateLimiter } from './rate-limit.ts';
import { ApiError, tooMany } from './errors.ts';
import type { PeerService, Principal } from './service.ts';

const LOCAL_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:(\d+))?$/;

/** DNS rebinding and web pages: a page on evil.example resolving to 127.0.0.1 still sends its own Host and an Origin. */
export function checkCaller(req: IncomingMessage): ApiError | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!LOCAL_HOST.test(host)) return new ApiError(421, 'bad_host', `Host "${host}" is not this broker: it only answers to 127.0.0.1 or localhost.`);
  // No web page may talk to the broker: browsers always send Origin on cross-origin requests.
  if (req.headers.origin !== undefined) return new ApiError(403, 'origin_forbidden', 'Requests from web pages are refused; the broker is for local tools only.');
  return null;
}

/** The principal of a request's bearer credential, or the 401 to answer. */
export function authenticate(service: PeerService, req: IncomingMessage): Principal | ApiError {
  const m = /^Bearer ([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
  const p = m ? service.principal(m[1]) : null;
  return p ?? new ApiError(401, 'unauthorized',
    'Missing or unknown credential: send "Authorization: Bearer <credential>" with $CLAUDE_PEERS_HOME/token (the user), the join token to register, or your session key.');
}

export const unsupportedMediaType = () => new ApiError(415, 'unsupported_media_type', 'Send JSON with "Content-Type: application/json".');

/** A plain JSON body: application/json, UTF-8 or no charset (what every client of ours sends). */
export const PLAIN_JSON = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;

/** The request budget of whoever the credential names (a session, or the human). */
export function rateCheck(limiter: RateLimiter): (who: string | null) => ApiError | null {
  return (who) => {
    if (!who) return null;
    const wait = limiter.take('requestsPerMin', who);
    return wait ? tooMany(wait, 'requests', limiter.limit('requestsPerMin')) : null;
  };
}

export { API_PREFIX, HUMAN_ID };
