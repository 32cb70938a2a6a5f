// Real processes for tests: a broker (`claude-peers broker`) and MCP servers (`claude-peers mcp`)
// driven by the MCP SDK's Client, each with a stand-in "claude" process whose pid they follow.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { BrokerClient } from '../../src/client/broker-client.ts';
import type { Peer, RegisterRequest } from '../../src/protocol/wire.ts';

export const CLI = resolve(__dirname, '../../dist/cli.js');

const made: string[] = [];
process.on('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A fresh temporary folder, removed when the test process exits. */
export function tempHome(prefix = 'cp-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Polls `fn` every `everyMs` until it returns something truthy, or throws after `timeoutMs`. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition', everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface BrokerProc {
  proc: ChildProcess; port: number; home: string;
  /** Acts as the user (the human at the panel): the token. */
  client: BrokerClient;
  joinToken: string;
  stderr: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface TestSession { peer: Peer; key: string; client: BrokerClient }

/** Registers a session the way an MCP server does (join token, then its own key); returns a client acting as it. */
export async function registerSession(b: Pick<BrokerProc, 'port' | 'joinToken'>, r: Partial<Omit<RegisterRequest, 'sessionKey'>> & { key?: string } = {}): Promise<TestSession> {
  const key = r.key ?? randomBytes(32).toString('hex');
  const { key: _k, ...rest } = r;
  const client = new BrokerClient({ port: b.port, credential: key, proofKey: b.joinToken });
  const { peer } = await client.request<{ peer: Peer }>('POST', '/peers', { pid: process.pid, cwd: '/w', ...rest, sessionKey: key }, undefined, b.joinToken);
  return { peer, key, client };
}

/** Starts `claude-peers broker` as its own process on a free port (or `port`). */
export async function spawnBroker(home: string, opts: { port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<BrokerProc> {
  const disc = join(home, 'broker.json');
  const before = existsSync(disc) ? readFileSync(disc, 'utf8') : '';
  let err = '';
  const proc = spawn(process.execPath, [CLI, 'broker', '--port', String(opts.port ?? 0)], {
    env: { ...process.env, CLAUDE_PEERS_HOME: home, CLAUDE_PEERS_PORT: '', ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr!.on('data', (c) => { err += c; });
  const port = await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`broker exited ${proc.exitCode}: ${err}`);
    const now = existsSync(disc) ? readFileSync(disc, 'utf8') : '';
    if (!now || now === before) return 0;
    const d = JSON.parse(now);
    return d.pid === proc.pid ? (d.port as number) : 0;
  }, 8000, 'the broker to start');
  const client = new BrokerClient({ port, credential: readFileSync(join(home, 'token'), 'utf8').trim(), proofKey: readFileSync(join(home, 'join-token'), 'utf8').trim() });
  await waitFor(async () => (await client.probe()) === 'ours', 3000, 'the broker to prove itself');
  return {
    proc, port, home, client, joinToken: readFileSync(join(home, 'join-token'), 'utf8').trim(), stderr: () => err,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => new Promise<void>((res) => {
      if (proc.exitCode !== null || proc.signalCode) return res();
      proc.once('exit', () => res());
      proc.kill(signal);
    }),
  };
}

/** A stand-in for a claude process: something alive whose pid the MCP server follows. */
export function fakeClaude(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
}

export interface ChannelNote { content: string; meta: Record<string, string> }

export interface McpPeer {
  client: Client;
  claude: ChildProcess;
  notes: ChannelNote[];
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; structured: any; isError: boolean }>;
  close(): Promise<void>;
  stderr: () => string;
}

const ChannelNotification = z.object({
  method: z.literal('notifications/claude/channel'),
  params: z.object({ content: z.string(), meta: z.record(z.string()) }),
});

/** Starts `claude-peers mcp` as a child process and connects the SDK's Client to it over stdio. */
export async function startMcpPeer(home: string, port: number, opts: { claude?: ChildProcess; env?: Record<string, string>; cwd?: string } = {}): Promise<McpPeer> {
  const claude = opts.claude ?? fakeClaude();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp'],
    cwd: opts.cwd ?? process.cwd(),
    env: {
      ...(process.env as Record<string, string>),
      CLAUDE_PEERS_HOME: home,
      CLAUDE_PEERS_PORT: String(port),
      CLAUDE_PEERS_CLAUDE_PID: String(claude.pid),
      CLAUDE_PEERS_AUTOSTART: '0',
      CLAUDE_PEERS_HEARTBEAT_MS: '500',
      ...opts.env,
    },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (c) => { err += c; });
  const client = new Client({ name: 'test-claude', version: '1.0.0' });
  const notes: ChannelNote[] = [];
  client.setNotificationHandler(ChannelNotification, (n) => { notes.push(n.params); });
  await client.connect(transport);
  return {
    client, claude, notes, stderr: () => err,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args })) as any;
      return { text: (r.content ?? []).map((c: any) => c.text).join('\n'), structured: r.structuredContent, isError: !!r.isError };
    },
    async close() {
      await client.close().catch(() => {});
      if (!opts.claude) claude.kill('SIGKILL');
    },
  };
}
