// Configuration shared by every part, from the environment only, so a broker, an MCP server and a
// hook started by different programs agree without talking to each other first.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SECRET_RE } from '../protocol/credentials.ts';
import { createPrivateFileExclusive, ensurePrivateDir, replacePrivateFile, securePrivateFile } from './private-files.ts';

declare const __CLAUDE_PEERS_VERSION__: string | undefined;
export const VERSION: string = typeof __CLAUDE_PEERS_VERSION__ === 'string' ? __CLAUDE_PEERS_VERSION__ : '0.0.0-dev';
export const DEFAULT_PORT = 7899;

export interface PeersConfig {
  home: string;
  port: number;
  host: '127.0.0.1';
  dbPath: string;
  /** The user's credential: the human at the panel or the CLI. */
  tokenPath: string;
  /** Lets a session register itself (and keys the broker's proof of identity). */
  joinTokenPath: string;
  /** Session keys of sessions that were not given one in their environment, one file per claude process. */
  sessionsDir: string;
  /** Written by the serving broker: lets clients find a broker started on a non-default port. */
  discoveryPath: string;
  logDir: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PeersConfig {
  const home = env.CLAUDE_PEERS_HOME?.trim() || join(homedir(), '.claude-peers');
  let port = DEFAULT_PORT;
  const raw = env.CLAUDE_PEERS_PORT?.trim();
  if (raw) {
    const n = parsePort(raw, true);
    if (n === null) {
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
    joinTokenPath: join(home, 'join-token'),
    sessionsDir: join(home, 'sessions'),
    discoveryPath: join(home, 'broker.json'),
    logDir: join(home, 'logs'),
  };
}

/** A TCP port number from text (0, "pick a free one", only where `zeroOk`); null when it is not one. */
export function parsePort(raw: string, zeroOk = false): number | null {
  if (!/^\d{1,5}$/.test(raw.trim())) return null;
  const n = Number(raw);
  return n <= 65535 && (n > 0 || zeroOk) ? n : null;
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
  securePrivateFile(cfg.discoveryPath);
  replacePrivateFile(cfg.discoveryPath, JSON.stringify(d));
}

/** The home folder, private to this user (see private-files.ts for what is refused). */
export function ensureHome(cfg: PeersConfig): void {
  ensurePrivateDir(cfg.home);
}


/** Reads a secret; null when absent or not a valid secret (an empty or short file grants nothing). */
export function readSecret(path: string): string | null {
  securePrivateFile(path);
  let text: string;
  try { text = readFileSync(path, 'utf8').trim(); } catch { return null; }
  return SECRET_RE.test(text) ? text : null;
}

/**
 * The secret at `path`, created when absent (exclusively: two first starts agree on one) and
 * replaced, with a log line, when the file holds something that is not a secret of ours.
 */
export function ensureSecret(cfg: PeersConfig, path: string, log: (line: string) => void = () => {}): string {
  ensureHome(cfg);
  const found = readSecret(path);
  if (found) return found;
  const fresh = randomBytes(32).toString('hex');
  if (existsSync(path)) {
    log(`${path} did not hold a valid secret (empty, short or altered): replaced it with a new one. Sessions started before this reconnect by themselves.`);
    replacePrivateFile(path, fresh);
    return fresh;
  }
  createPrivateFileExclusive(path, fresh);
  const now = readSecret(path);
  if (!now) throw new Error(`Could not create the secret ${path}: it is still missing or invalid after writing it.`);
  return now;
}
