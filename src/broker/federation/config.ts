// How a broker joins a federation: read from the environment (the CLI broker) or handed over by
// the VS Code extension (settings + SecretStorage). Nothing leaves the machine unless a URL is set.
// The URL as shown anywhere (status, logs, errors) never carries a credential: see displayUrl.
import { hostname } from 'node:os';
import { PeersError } from '../../protocol/errors.ts';

/** Network names become parts of NATS subjects, stream and bucket names. */
export const NETWORK_RE = /^[A-Za-z0-9_-]{1,32}$/;
export const DEFAULT_NETWORK = 'default';

export interface FederationOptions {
  /** `nats://host:4222`, `tls://host:4222`, or several separated by commas. */
  url: string;
  network?: string;
  /** A NATS token (the server's `--auth` or `authorization { token }`). */
  token?: string | null;
  /** A NATS credentials file (`.creds`, a JWT and its nkey seed) or an nkey seed file. */
  credsFile?: string | null;
  /** A CA certificate (PEM) to verify a `tls://` server with, when it is not in the system's store. */
  caFile?: string | null;
  /** How this machine is named to the others (default: the host name). */
  host?: string | null;
}

export interface FederationConfig {
  /** Without credentials (a token or user:password written into the URL is moved to `token`, `user` and `pass`). */
  servers: string[];
  network: string;
  token: string | null;
  user: string | null;
  pass: string | null;
  credsFile: string | null;
  caFile: string | null;
  host: string;
  /** The URL as people may read it: no user, password or token. */
  displayUrl: string;
  tls: boolean;
  timing: FederationTiming;
}

/** Intervals (tests shorten them through the environment; people never need to). */
export interface FederationTiming {
  /** How often a broker says it is alive. */
  beatMs: number;
  /** A broker not heard from for this long is gone, with its peers. */
  staleMs: number;
  /** How long a network lock outlives a silent holder. */
  leaseMs: number;
  /** How long a gap in a broker's envelopes may wait for the missing ones before it is skipped (they were lost by NATS). */
  gapMs: number;
  /** How long JetStream waits for an ack before it redelivers. */
  ackWaitMs: number;
  /** How often the connection is pinged: a link that went silent is noticed after two unanswered pings. */
  pingMs: number;
}

export class FederationConfigError extends PeersError {
  constructor(message: string) { super(0, 'federation_config', message); }
}

const num = (v: string | undefined, dflt: number, min: number) => {
  const n = Number(v);
  return Number.isFinite(n) && n >= min ? n : dflt;
};

export function timingFromEnv(env: NodeJS.ProcessEnv = process.env): FederationTiming {
  const beatMs = num(env.CLAUDE_PEERS_FEDERATION_BEAT_MS, 5000, 100);
  return {
    beatMs,
    staleMs: num(env.CLAUDE_PEERS_FEDERATION_STALE_MS, Math.max(15_000, beatMs * 3), beatMs * 2),
    leaseMs: num(env.CLAUDE_PEERS_FEDERATION_LEASE_MS, 30_000, 1000),
    gapMs: num(env.CLAUDE_PEERS_FEDERATION_GAP_MS, 60_000, 1000),
    ackWaitMs: num(env.CLAUDE_PEERS_FEDERATION_ACK_WAIT_MS, 10_000, 1000),
    pingMs: num(env.CLAUDE_PEERS_FEDERATION_PING_MS, 10_000, 200),
  };
}

/** The federation the environment asks for, or null when CLAUDE_PEERS_FEDERATION_URL is unset (one machine, as before). */
export function federationFromEnv(env: NodeJS.ProcessEnv = process.env): FederationOptions | null {
  const url = env.CLAUDE_PEERS_FEDERATION_URL?.trim();
  if (!url) return null;
  return {
    url,
    network: env.CLAUDE_PEERS_FEDERATION_NETWORK?.trim() || undefined,
    token: env.CLAUDE_PEERS_FEDERATION_TOKEN?.trim() || null,
    credsFile: env.CLAUDE_PEERS_FEDERATION_CREDS?.trim() || null,
    caFile: env.CLAUDE_PEERS_FEDERATION_CA?.trim() || null,
    host: env.CLAUDE_PEERS_FEDERATION_HOST?.trim() || null,
  };
}

/** Checks and completes the options; a mistake is a FederationConfigError that says what to change (and never repeats a secret). */
export function resolveFederation(o: FederationOptions, env: NodeJS.ProcessEnv = process.env): FederationConfig {
  const network = o.network?.trim() || DEFAULT_NETWORK;
  if (!NETWORK_RE.test(network)) {
    throw new FederationConfigError(`The federation network name "${network.slice(0, 40)}" may hold only letters, digits, "-" and "_" (at most 32): set CLAUDE_PEERS_FEDERATION_NETWORK (claudePeers.federation.network) to such a name.`);
  }
  const servers = o.url.split(',').map((s) => s.trim()).filter(Boolean);
  if (!servers.length) throw new FederationConfigError('The federation URL is empty: set it to nats://host:4222 or tls://host:4222, or unset it to stay on this machine.');
  let tls = false;
  let userToken: string | null = null;
  let user: string | null = null;
  let pass: string | null = null;
  for (const s of servers) {
    const m = /^(nats|tls):\/\/([^/?#]+)\/?$/i.exec(s);
    if (!m) {
      throw new FederationConfigError(`The federation URL "${displayUrl(s)}" is not a NATS server URL: write nats://host:4222 or tls://host:4222 (several separated by commas).`);
    }
    if (m[1].toLowerCase() === 'tls') tls = true;
    // A token written into the URL (nats://TOKEN@host) is taken as the token, and never shown.
    const at = m[2].lastIndexOf('@');
    if (at >= 0) {
      const info = m[2].slice(0, at);
      const colon = info.indexOf(':');
      if (colon < 0) userToken = safeDecode(info);
      else { user = safeDecode(info.slice(0, colon)); pass = safeDecode(info.slice(colon + 1)); }
    }
  }
  const host = cleanHost(o.host ?? env.CLAUDE_PEERS_FEDERATION_HOST ?? hostname());
  return {
    servers: servers.map(displayUrl),
    network,
    token: o.token?.trim() || userToken,
    user,
    pass,
    credsFile: o.credsFile?.trim() || null,
    caFile: o.caFile?.trim() || null,
    host,
    displayUrl: servers.map(displayUrl).join(','),
    tls,
    timing: timingFromEnv(env),
  };
}

/** A URL without what sits before "@" (user, password or token): safe for logs, status and errors. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1').replace(/[\p{Cc}\s]+/gu, '').slice(0, 300);
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** A host label: one short line of printable characters. */
export function cleanHost(raw: string): string {
  const s = raw.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
  return s || 'unknown-host';
}
