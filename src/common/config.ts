// Configuration shared by every part, from the environment only, so a broker, an MCP server and a
// hook started by different programs agree without talking to each other first.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync, existsSync, chmodSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

declare const __CLAUDE_PEERS_VERSION__: string | undefined;
export const VERSION: string = typeof __CLAUDE_PEERS_VERSION__ === 'string' ? __CLAUDE_PEERS_VERSION__ : '0.0.0-dev';
export const DEFAULT_PORT = 7899;

export interface PeersConfig {
  home: string;
  port: number;
  host: '127.0.0.1';
  dbPath: string;
  tokenPath: string;
  /** Written by the serving broker: lets clients find a broker started on a non-default port. */
  discoveryPath: string;
  logDir: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PeersConfig {
  const home = env.CLAUDE_PEERS_HOME?.trim() || join(homedir(), '.claude-peers');
  let port = DEFAULT_PORT;
  const raw = env.CLAUDE_PEERS_PORT?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new Error(`CLAUDE_PEERS_PORT="${raw}" is not a port number: set it to an integer between 1 and 65535, or unset it for ${DEFAULT_PORT}.`);
    }
    port = n;
  } else {
    const found = readDiscovery(join(home, 'broker.json'));
    if (found) port = found.port;
  }
  return {
    home,
    port,
    host: '127.0.0.1',
    dbPath: join(home, 'peers.db'),
    tokenPath: join(home, 'token'),
    discoveryPath: join(home, 'broker.json'),
    logDir: join(home, 'logs'),
  };
}

export interface Discovery { port: number; pid: number; version: string; startedAt: string }

export function readDiscovery(path: string): Discovery | null {
  try {
    const d = JSON.parse(readFileSync(path, 'utf8'));
    return Number.isInteger(d?.port) ? d : null;
  } catch {
    return null;
  }
}

export function writeDiscovery(cfg: PeersConfig, d: Discovery): void {
  ensureHome(cfg);
  const tmp = `${cfg.discoveryPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(d));
  renameSync(tmp, cfg.discoveryPath);
}

export function ensureHome(cfg: PeersConfig): void {
  mkdirSync(cfg.home, { recursive: true, mode: 0o700 });
}

/** Reads the shared secret, creating it (256 random bits, mode 0600) when `create` is set. */
export function readToken(cfg: PeersConfig, create = false): string | null {
  try {
    const t = readFileSync(cfg.tokenPath, 'utf8').trim();
    if (t.length >= 32) return t;
  } catch {
    /* absent: fall through */
  }
  if (!create) return null;
  ensureHome(cfg);
  const token = randomBytes(32).toString('hex');
  // Write to a private temp file and rename, so no reader ever sees a half-written token and
  // two brokers racing on first start end up agreeing on whichever rename landed last.
  const tmp = `${cfg.tokenPath}.${process.pid}.tmp`;
  writeFileSync(tmp, token, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  if (!existsSync(cfg.tokenPath)) renameSync(tmp, cfg.tokenPath);
  return readFileSync(cfg.tokenPath, 'utf8').trim();
}
