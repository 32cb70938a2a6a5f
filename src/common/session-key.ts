// A session's credential: 256 random bits that every process of one Claude Code session shares
// (its MCP server, its command hooks, and Claude Code's HTTP hooks) and no other session knows.
// The VS Code shim and `claude-peers claude` put it into claude's environment; a session started
// otherwise keeps it in a file of its own, created by whichever of its processes comes first.
import { readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SECRET_RE, SESSION_KEY_ENV } from '../protocol/credentials.ts';
import { readSecret, type PeersConfig } from './config.ts';
import { createPrivateFileExclusive, ensurePrivateDir } from './private-files.ts';

/** The file of a claude process's key: the pid and its start time, so a reused pid gets a new one. */
export function sessionKeyPath(cfg: PeersConfig, claudePid: number, pidStart: string | null): string {
  return join(cfg.sessionsDir, `${claudePid}-${pidStart ?? 'unknown'}.key`);
}

export function sessionKeyFor(cfg: PeersConfig, claudePid: number, pidStart: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const given = env[SESSION_KEY_ENV]?.trim();
  if (given && SECRET_RE.test(given)) return given;
  ensurePrivateDir(cfg.home);
  ensurePrivateDir(cfg.sessionsDir);
  const path = sessionKeyPath(cfg, claudePid, pidStart);
  const found = readSecret(path);
  if (found) return found;
  createPrivateFileExclusive(path, randomBytes(32).toString('hex'));
  const key = readSecret(path);
  if (!key) throw new Error(`Could not create the session key ${path}.`);
  return key;
}

/** Removes the key files of claude processes that ended (the broker does it now and then). */
export function pruneSessionKeys(cfg: PeersConfig, alive: (pid: number) => boolean): number {
  let removed = 0;
  let names: string[];
  try { names = readdirSync(cfg.sessionsDir); } catch { return 0; }
  for (const n of names) {
    const m = /^(\d+)-[^/]*\.key$/.exec(n);
    if (m && !alive(Number(m[1]))) { rmSync(join(cfg.sessionsDir, n), { force: true }); removed++; }
  }
  return removed;
}

/** A fresh key, for launchers that put it into claude's environment. */
export function newSessionKey(): string {
  return randomBytes(32).toString('hex');
}
