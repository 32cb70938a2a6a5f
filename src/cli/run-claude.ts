// `claude-peers claude [args…]`: a claude on the peer network from any terminal, the way the VS
// Code shim starts one, on this CLI's own Node and bundles.
import { dirname, join } from 'node:path';
import { loadConfig } from '../common/config.ts';
import { currentRuntime } from '../common/launch-config.ts';
import { ensurePrivateDir } from '../common/private-files.ts';
import { installShim, launch } from '../client/claude-launch.ts';

export async function runClaude(argv: string[]): Promise<number> {
  const cfg = loadConfig();
  const dir = join(cfg.home, 'launch');
  ensurePrivateDir(cfg.home);
  const env: Record<string, string> = {};
  if (process.env.CLAUDE_PEERS_HOME) env.CLAUDE_PEERS_HOME = cfg.home;
  if (process.env.CLAUDE_PEERS_PORT) env.CLAUDE_PEERS_PORT = String(cfg.port);
  // The same files the shim uses, for this runtime; a folder of our own, never on PATH.
  installShim(dir, { enabled: true, channels: process.env.CLAUDE_PEERS_CHANNELS === '1', runtime: currentRuntime(dirname(__filename), env) });
  return launch(argv, dir);
}
