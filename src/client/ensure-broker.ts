// Finds our broker, or starts a standalone one in the background when nothing listens, so a
// `claude` outside VS Code still joins the network with nothing started by hand. A port held by
// something that cannot prove it is our broker is never used and never fought over.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerClient, Probe } from './broker-client.ts';
import type { PeersConfig } from '../common/config.ts';
import { ensurePrivateDir } from '../common/private-files.ts';

export interface EnsureOptions {
  /** Start a detached broker when nothing answers (off with CLAUDE_PEERS_AUTOSTART=0). */
  autostart?: boolean;
  /** The CLI script to run as `<node> <cli> broker` (defaults to this bundle). */
  cliPath?: string;
  waitMs?: number;
  log?: (line: string) => void;
}

/** Probes the port (starting a broker when nothing answers) and returns what is there now. */
export async function ensureBroker(cfg: PeersConfig, client: BrokerClient, opts: EnsureOptions = {}): Promise<Probe> {
  client.refreshSecrets(cfg);
  const first = await client.probe(500);
  if (first !== 'none') return first;
  const autostart = opts.autostart ?? process.env.CLAUDE_PEERS_AUTOSTART !== '0';
  if (!autostart) return 'none';
  startDetachedBroker(cfg, opts.cliPath ?? __filename);
  opts.log?.(`no broker answered on port ${cfg.port}; started one in the background`);
  const deadline = Date.now() + (opts.waitMs ?? 3000);
  let now: Probe = 'none';
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    client.refreshSecrets(cfg); // the new broker creates the join token
    now = await client.probe(300);
    if (now !== 'none') return now;
  }
  return now; // callers keep retrying; the broker may still be starting
}

export function startDetachedBroker(cfg: PeersConfig, cliPath: string): void {
  ensurePrivateDir(cfg.home);
  ensurePrivateDir(cfg.logDir);
  const out = openSync(join(cfg.logDir, 'broker.log'), 'a', 0o600);
  const child = spawn(process.execPath, [cliPath, 'broker', '--port', String(cfg.port)], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, CLAUDE_PEERS_HOME: cfg.home },
    windowsHide: true,
  });
  child.unref();
}
