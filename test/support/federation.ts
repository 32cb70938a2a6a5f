// Federation test pieces: brokers joined to a test's own nats-server, stand-in repository clones
// (a .git with a remote, no git needed), and the real command hook of an MCP peer's session.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handleHook } from '../../src/hooks/run-hook.ts';
import { spawnBroker, tempHome, waitFor, type BrokerProc, type McpPeer } from './processes.ts';
import { FAST_FEDERATION, type NatsProc } from './nats.ts';
import type { FederationStatus, Peer } from '../../src/protocol/wire.ts';

export interface FedBroker extends BrokerProc { host: string; env: Record<string, string> }

const BASE_ENV = { CLAUDE_PEERS_RATE_MESSAGES_PER_MIN: '0', CLAUDE_PEERS_RATE_REQUESTS_PER_MIN: '0', CLAUDE_PEERS_TTL_MS: '3000', CLAUDE_PEERS_SWEEP_MS: '300' };

/** A real `claude-peers broker` with a home of its own, joined to `nats` as `host`. */
export async function fedBroker(nats: NatsProc, host: string, o: { home?: string; port?: number; network?: string; env?: Record<string, string> } = {}): Promise<FedBroker> {
  const env = { ...BASE_ENV, ...nats.env(o.network), ...FAST_FEDERATION, CLAUDE_PEERS_FEDERATION_HOST: host, ...o.env };
  const b = await spawnBroker(o.home ?? tempHome(), { port: o.port, env });
  return Object.assign(b, { host, env });
}

/** The broker's federation status (the user's token). */
export async function federation(b: BrokerProc): Promise<FederationStatus> {
  return (await b.client.get<{ federation: FederationStatus }>('/status')).federation;
}

export async function connected(b: BrokerProc, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => (await federation(b)).state === 'connected', timeoutMs, `broker on ${b.port} to join the federation`);
}

/** Every peer this broker lists for the network. */
export async function networkPeers(b: BrokerProc): Promise<Peer[]> {
  return (await b.client.get<{ peers: Peer[] }>('/peers?network=1')).peers;
}

/** A clone of a repository: a folder with a .git whose origin is `remote`, on branch `branch`. */
export function clone(remote: string, branch = 'main', parent = tempHome('cp-clone-')): string {
  const dir = join(parent, `clone-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(join(dir, '.git'), { recursive: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, '.git', 'HEAD'), `ref: refs/heads/${branch}\n`);
  writeFileSync(join(dir, '.git', 'config'), `[core]\n\tbare = false\n[remote "origin"]\n\turl = ${remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
  return dir;
}

/** Runs the real command hook of `who`'s session (as Claude Code would), with its broker's home and port. */
export function hook(b: BrokerProc, who: McpPeer, cwd: string, input: Record<string, unknown>) {
  return handleHook(String(input.hook_event_name), JSON.stringify({ cwd, session_id: 's', ...input }), {
    ...process.env, CLAUDE_PEERS_HOME: b.home, CLAUDE_PEERS_PORT: String(b.port), CLAUDE_PID: String(who.claude.pid), CLAUDE_PEERS_CLAUDE_PID: '',
  });
}
