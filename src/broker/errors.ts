// Every failure a client can see, mapped to one wire shape: { error: { code, message } } with an
// HTTP status. Messages say what went wrong and what to do about it.
import { ZodError } from 'zod';
import { PeersError } from '../protocol/errors.ts';
import { MAX_BODY_BYTES } from '../protocol/wire.ts';

/**
 * The one error a client can be shown: an HTTP status, a stable code and a message that says
 * what went wrong and what to do. The store, the service and the HTTP layer all throw it.
 */
export class ApiError extends PeersError {}

export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);

export const tooMany = (wait: number, what: string, perMin: number) =>
  new ApiError(429, 'rate_limited', `Too many ${what}: the limit is ${perMin} per minute per peer. Wait ${wait} s and retry; batch your updates into fewer, longer messages.`);

export const badJson = () => new ApiError(400, 'bad_json', 'The body is not valid JSON.');

export function mapError(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof ZodError) {
    const detail = err.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    return { status: 400, code: 'invalid_request', message: `Invalid request: ${detail}.` };
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') return { status: 413, code: 'too_large', message: `The request body is over ${MAX_BODY_BYTES} bytes.` };
  if (e?.type === 'entity.parse.failed') return mapError(badJson());
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') return { status: 415, code: 'unsupported_media_type', message: String(e.message) };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return { status: e.status, code: 'bad_request', message: String(e.message) };
  const msg = String(e?.message ?? err);
  if (/SQLITE_BUSY|database is locked/i.test(msg)) {
    return { status: 503, code: 'database_locked', message: 'The peers database is locked by another process; retry in a moment. If it persists, close other programs using peers.db.' };
  }
  if (/SQLITE_FULL|disk is full|ENOSPC/i.test(msg)) {
    return { status: 507, code: 'disk_full', message: 'The disk holding the peers database is full; nothing was stored. Free some space and retry.' };
  }
  return { status: 500, code: 'internal', message: `Broker error: ${msg}` };
}
