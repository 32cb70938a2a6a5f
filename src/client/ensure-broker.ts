// Finds a running broker, or starts a standalone one in the background when none answers, so a
// `claude` outside VS Code still joins the network with nothing started by hand.
import { spawn } from 'node:child_process';
import { openSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerClient } from './broker-client.ts';
import { readToken, type PeersConfig } from '../common/config.ts';

export interface EnsureOptions {
  /** Start a detached broker when none answers (off with CLAUDE_PEERS_AUTOSTART=0). */
  autostart?: boolean;
  /** The CLI script to run as `<node> <cli> broker` (defaults to this bundle). */
  cliPath?: string;
  waitMs?: number;
  log?: (line: string) => void;
  /** Reuse this client instead of making one. */
  client?: BrokerClient;
}

export async function ensureBroker(cfg: PeersConfig, opts: EnsureOptions = {}): Promise<BrokerClient> {
  const client = opts.client ?? BrokerClient.fromConfig(cfg);
  if (await client.health(500)) {
    client.refreshToken(cfg);
    return client;
  }
  const autostart = opts.autostart ?? process.env.CLAUDE_PEERS_AUTOSTART !== '0';
  if (!autostart) return client;
  startDetachedBroker(cfg, opts.cliPath ?? __filename);
  opts.log?.(`no broker answered on port ${cfg.port}; started one in the background`);
  const deadline = Date.now() + (opts.waitMs ?? 3000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    if (await client.health(300)) {
      client.token = readToken(cfg);
      return client;
    }
  }
  return client; // callers keep retrying; the broker may still be starting
}

export function startDetachedBroker(cfg: PeersConfig, cliPath: string): void {
  mkdirSync(cfg.logDir, { recursive: true });
  const out = openSync(join(cfg.logDir, 'broker.log'), 'a');
  const child = spawn(process.execPath, [cliPath, 'broker', '--port', String(cfg.port)], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, CLAUDE_PEERS_HOME: cfg.home },
    windowsHide: true,
  });
  child.unref();
}
