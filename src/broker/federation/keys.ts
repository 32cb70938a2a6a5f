// A broker's identity on a federation and the envelopes it signs. Each broker has an Ed25519 key
// of its own ($CLAUDE_PEERS_HOME/federation-key, mode 0600, made on first use); its id is the
// fingerprint of the public key, so no one can claim an id without the key. Everything a broker
// puts on NATS (presence, messages, delivery states, locks) is an envelope signed by that key over
// the network name, the subject or KV key it was published on, and the payload: a copy replayed
// elsewhere, altered, or sent under another broker's id fails verification. Receivers pin each
// broker's key on first sight (fed_brokers) and refuse a different one for the same id.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateFileExclusive, securePrivateFile } from '../../common/private-files.ts';

export const KEY_FILE = 'federation-key';
/** `b` and 20 hex digits (80 bits of the key's SHA-256): fits subjects, KV keys and peer ids. */
export const BROKER_ID_RE = /^b[0-9a-f]{20}$/;
/** An envelope bigger than this is refused before it is parsed (a message is at most 32 KiB of text). */
export const MAX_ENVELOPE_BYTES = 256 * 1024;

export interface BrokerIdentity {
  id: string;
  /** The raw 32-byte public key, base64url. */
  publicKey: string;
  /** The envelope of `payload` (an object, or its JSON already) for `where` on `network`. */
  seal(network: string, where: string, payload: object | string): string;
}

export const brokerIdOf = (publicKey: string): string =>
  `b${createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 20)}`;

const signedText = (network: string, where: string, p: string) => Buffer.from(`claude-peers federation v1\n${network}\n${where}\n${p}`);

/** This home's broker identity, created on first use. */
export function loadIdentity(home: string): BrokerIdentity {
  const path = join(home, KEY_FILE);
  securePrivateFile(path);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    const { privateKey } = generateKeyPairSync('ed25519');
    createPrivateFileExclusive(path, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    pem = readFileSync(path, 'utf8'); // the one that landed first, if two starts raced
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  } catch (e) {
    throw new Error(`${path} does not hold this broker's federation key (${(e as Error).message}). Move it away; a new key (and broker id) is made at the next start.`, { cause: e });
  }
  const publicKey = createPublicKey(key).export({ format: 'jwk' }).x!;
  const id = brokerIdOf(publicKey);
  return {
    id,
    publicKey,
    seal(network, where, payload) {
      const p = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const s = sign(null, signedText(network, where, p), key).toString('base64url');
      return JSON.stringify({ v: 1, k: publicKey, p, s });
    },
  };
}

export type Opened = { ok: true; broker: string; publicKey: string; payload: unknown } | { ok: false; why: string };

const keyCache = new Map<string, KeyObject>();

/**
 * Checks an envelope read from `where` on `network`: its shape, that its key's fingerprint is the
 * broker id `expectBroker` names (the subject or key it came on), and its signature. The pin
 * (a key seen earlier for that id) is checked by the caller, which owns the store.
 */
export function openEnvelope(network: string, where: string, data: Uint8Array | string, expectBroker: string | null): Opened {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (bytes > MAX_ENVELOPE_BYTES) return { ok: false, why: `too large (${bytes} bytes)` };
  let env: { v?: unknown; k?: unknown; p?: unknown; s?: unknown };
  try {
    env = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch { return { ok: false, why: 'not JSON' }; }
  if (!env || typeof env !== 'object' || env.v !== 1 || typeof env.k !== 'string' || typeof env.p !== 'string' || typeof env.s !== 'string') {
    return { ok: false, why: 'not an envelope of ours (v1)' };
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(env.k) || !/^[A-Za-z0-9_-]{86}$/.test(env.s)) return { ok: false, why: 'malformed key or signature' };
  const broker = brokerIdOf(env.k);
  if (expectBroker !== null && broker !== expectBroker) return { ok: false, why: `signed by ${broker}, not by ${expectBroker} whose subject it came on` };
  let key = keyCache.get(env.k);
  if (!key) {
    try { key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: env.k }, format: 'jwk' }); } catch { return { ok: false, why: 'unusable key' }; }
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(env.k, key);
  }
  if (!verify(null, signedText(network, where, env.p), key, Buffer.from(env.s, 'base64url'))) return { ok: false, why: 'bad signature' };
  let payload: unknown;
  try { payload = JSON.parse(env.p); } catch { return { ok: false, why: 'payload is not JSON' }; }
  return { ok: true, broker, publicKey: env.k, payload };
}
