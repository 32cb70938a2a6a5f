// A real nats-server (Debian's 2.9, JetStream on) for the federation tests: on loopback on a free
// port, with a store folder of its own, a token, and optionally inside a network namespace. Each
// test starts its own and stops it; `kill('SIGKILL')` then `restart()` keeps the store (what a
// crash of the server does).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { tempHome, waitFor } from './processes.ts';

export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p))
  ?? (spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim() || null);

/**
 * Why the federation tests cannot run here, or null. Under CI=true a missing server is a failure
 * (the caller throws), elsewhere a loud skip.
 */
export function natsMissing(): string | null {
  if (NATS_SERVER) return null;
  const why = 'nats-server is not installed (apt-get install nats-server; scripts/setup-e2e.sh does it)';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}: the federation suite cannot be skipped`);
  console.error(`\n*** SKIPPED: ${why} ***\n`);
  return why;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface NatsProc {
  url: string;
  /** The URL with the token in it is never needed: brokers get the token through CLAUDE_PEERS_FEDERATION_TOKEN. */
  token: string;
  port: number;
  host: string;
  storeDir: string;
  proc: ChildProcess;
  log: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store (after a kill). */
  restart(): Promise<void>;
  /** The environment a broker needs to join this server's network. */
  env(network?: string): Record<string, string>;
}

export interface NatsOptions {
  host?: string;
  port?: number;
  token?: string;
  /** Run inside this network namespace (`ip netns exec NAME …`). */
  netns?: string;
  /** A config file instead of flags (permissions, TLS); `-a`/`-p`/`-sd` still come from here. */
  configFile?: string;
  extraArgs?: string[];
}

export async function startNats(o: NatsOptions = {}): Promise<NatsProc> {
  if (!NATS_SERVER) throw new Error('nats-server is not installed');
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? (o.netns ? 4222 : await freePort());
  const token = o.token ?? randomBytes(16).toString('hex');
  const storeDir = join(tempHome('cp-nats-'), 'store');
  let out = '';
  let proc!: ChildProcess;
  const launch = async () => {
    const args = ['-a', host, '-p', String(port), '-js', '-sd', storeDir, ...(o.configFile ? ['-c', o.configFile] : ['--auth', token]), ...(o.extraArgs ?? [])];
    const cmd = o.netns ? ['ip', ['netns', 'exec', o.netns, NATS_SERVER!, ...args]] as const : [NATS_SERVER!, args] as const;
    proc = spawn(cmd[0], cmd[1] as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (c) => { out += c; });
    proc.stderr!.on('data', (c) => { out += c; });
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`nats-server exited ${proc.exitCode}: ${out.slice(-2000)}`);
      return /Server is ready/.test(out) && (o.netns ? true : await canConnect(host, port));
    }, 10_000, 'nats-server to be ready');
  };
  await launch();
  const n: NatsProc = {
    url: `nats://${host}:${port}`, token, port, host, storeDir, get proc() { return proc; }, log: () => out,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => new Promise<void>((res) => {
      if (proc.exitCode !== null || proc.signalCode) return res();
      proc.once('exit', () => res());
      proc.kill(signal);
    }),
    async restart() { out += '\n--- restart ---\n'; await launch(); },
    env: (network = 'default') => ({
      CLAUDE_PEERS_FEDERATION_URL: `nats://${host}:${port}`,
      CLAUDE_PEERS_FEDERATION_TOKEN: token,
      CLAUDE_PEERS_FEDERATION_NETWORK: network,
    }),
  } as NatsProc;
  return n;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Fast timings for tests (conditions are waited for, never timed): heartbeats, staleness, leases. */
export const FAST_FEDERATION = {
  CLAUDE_PEERS_FEDERATION_BEAT_MS: '300',
  CLAUDE_PEERS_FEDERATION_STALE_MS: '2000',
  CLAUDE_PEERS_FEDERATION_LEASE_MS: '3000',
  CLAUDE_PEERS_FEDERATION_ACK_WAIT_MS: '2000',
};
