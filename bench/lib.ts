// Shared pieces of the benchmarks: a real broker process, real `claude-peers mcp` processes driven
// by the MCP SDK's Client (as Claude Code drives them), stand-in claude processes, percentiles,
// broker RSS, and the result file scripts/bench.mjs turns into bench/RESULTS.md.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { BrokerClient, verifiedConnection } from '../src/client/broker-client.ts';
import { SESSION_KEY_ENV, type Peer, type RegisterRequest } from '../src/protocol/wire.ts';
import { waitFor } from '../test/support/processes.ts';

export const CLI = resolve(__dirname, '../dist/cli.js');
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
export const now = () => performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Extra node flags for the broker and MCP processes, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

/** Broker settings every benchmark uses: rate limits off (they would cap any load test). */
export const BENCH_ENV = { CLAUDE_PEERS_RATE_MESSAGES_PER_MIN: '0', CLAUDE_PEERS_RATE_REQUESTS_PER_MIN: '0' };

const cleanups: (() => void)[] = [];
process.on('exit', () => { for (const c of cleanups.reverse()) { try { c(); } catch { /* best effort */ } } });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

export function tempHome(prefix = 'cp-bench-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export { waitFor };

/** Resident set size of a process in KiB (Linux /proc), or null elsewhere. */
export function rssKiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: get('VmRSS'), hwm: get('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 10 ms ticks), or null. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}
const CLK_TCK = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; } })();

/** The share of time runnable tasks waited for a CPU over the last 10 s (Linux PSI), or null. */
export function cpuPressure(): number | null {
  try { return Number(/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]); } catch { return null; }
}

export interface Broker {
  proc: ChildProcess; pid: number; port: number; home: string;
  /** The user's token (the human: panel and CLI); `client` acts with it. */
  token: string;
  /** Registers sessions only (POST /v1/peers); every client proves the broker with it first. */
  joinToken: string;
  client: BrokerClient;
  /** What the broker wrote to stderr so far (its log lines). */
  stderr(): string;
  rssMiB(): number | null; cpuMs(): number; stop(): Promise<void>;
}

/** `claude-peers broker` as its own process on a free loopback port. */
export async function startBroker(env: Record<string, string> = {}): Promise<Broker> {
  const home = tempHome();
  let err = '';
  const proc = spawn(process.execPath, [...NODE_ARGS, CLI, 'broker', '--port', '0'], {
    env: { ...process.env, CLAUDE_PEERS_HOME: home, CLAUDE_PEERS_PORT: '', ...BENCH_ENV, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr!.on('data', (c) => { err += c; });
  cleanups.push(() => proc.kill('SIGKILL'));
  const disc = join(home, 'broker.json');
  const port = await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`broker exited ${proc.exitCode}: ${err}`);
    if (!existsSync(disc)) return 0;
    const d = JSON.parse(readFileSync(disc, 'utf8'));
    return d.pid === proc.pid ? (d.port as number) : 0;
  }, 10_000, 'the broker to start');
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const joinToken = readFileSync(join(home, 'join-token'), 'utf8').trim();
  const client = new BrokerClient({ port, credential: token, proofKey: joinToken, timeoutMs: 30_000 });
  await waitFor(async () => (await client.probe()) === 'ours', 5000, 'the broker to prove itself');
  return {
    proc, pid: proc.pid!, port, home, token, joinToken, client, stderr: () => err,
    rssMiB: () => { const r = rssKiB(proc.pid!); return r ? r.rss / 1024 : null; },
    cpuMs: () => cpuMs(proc.pid!) ?? NaN,
    stop: () => new Promise<void>((res) => {
      client.close();
      if (proc.exitCode !== null || proc.signalCode) return res();
      proc.once('exit', () => res());
      proc.kill('SIGTERM');
    }),
  };
}

/** Long-lived processes whose pids stand in for claude processes (registered peers must be alive). */
export function standIns(n: number): { pids: number[]; kill(): void } {
  const procs: ChildProcess[] = [];
  for (let i = 0; i < n; i++) procs.push(spawn('sleep', ['86400'], { stdio: 'ignore' }));
  const kill = () => { for (const p of procs) p.kill('SIGKILL'); };
  cleanups.push(kill);
  return { pids: procs.map((p) => p.pid!), kill };
}

/** A fresh session key: 256 bits in hex, chosen by the session (its credential once registered). */
export const newKey = () => randomBytes(32).toString('hex');

/** A registered session acting with its own key, over the broker client's verified keep-alive connections. */
export interface Session {
  id: string; name: string; key: string;
  get<T = any>(path: string): Promise<T>;
  post<T = any>(path: string, body: unknown): Promise<T>;
  put<T = any>(path: string, body: unknown): Promise<T>;
}

/** Acts as the session with this key (it must be registered). */
export function asSession(b: Broker, key: string, peer: Pick<Peer, 'id' | 'name'>): Session {
  const req = <T>(method: string, path: string, body?: unknown) => b.client.request<T>(method, path, body, 30_000, key);
  return {
    id: peer.id, name: peer.name, key,
    get: (path) => req('GET', path),
    post: (path, body) => req('POST', path, body ?? {}),
    put: (path, body) => req('PUT', path, body),
  };
}

/**
 * Registers a session as an MCP server does (the join token, with the key it chose) and returns it
 * acting as itself. `pid` must be a live process of its own: a live pid is bound to one key.
 */
export async function registerSession(b: Broker, r: Omit<RegisterRequest, 'sessionKey'>, key = newKey()): Promise<Session> {
  const { peer } = await b.client.request<{ peer: Peer }>('POST', '/peers', { ...r, sessionKey: key }, 30_000, b.joinToken);
  return asSession(b, key, peer);
}

type ChannelNote = { content: string; meta: Record<string, string> };

/**
 * The stdio side of a claude process, as lean as Claude Code's own reader: one JSON.parse per
 * line. Channel notifications go straight to `onChannel` (checked by hand for their shape);
 * everything else goes to the SDK's Client, which validates it. The SDK's own stdio transport
 * validates every line against the whole JSON-RPC schema with zod, which costs the benchmark
 * process more CPU per message than the broker spends, on the same two cores.
 */
class LeanStdioTransport implements Transport {
  onmessage?: (m: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (e: Error) => void;
  proc: ChildProcess | null = null;
  constructor(private readonly spawnArgs: { args: string[]; cwd: string; env: Record<string, string> }, private readonly onChannel: (n: ChannelNote, at: number) => void) {}

  async start(): Promise<void> {
    const p = spawn(process.execPath, this.spawnArgs.args, { cwd: this.spawnArgs.cwd, env: this.spawnArgs.env, stdio: ['pipe', 'pipe', 'ignore'] });
    this.proc = p;
    let buf = '';
    p.stdout!.setEncoding('utf8');
    p.stdout!.on('data', (chunk: string) => {
      const at = now();
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        let m: any;
        try { m = JSON.parse(line); } catch (e) { this.onerror?.(new Error(`not JSON on the MCP server's stdout: ${line.slice(0, 200)}`)); continue; }
        if (m?.method === 'notifications/claude/channel') {
          const params = m.params;
          if (typeof params?.content !== 'string' || typeof params.meta !== 'object' || Object.values(params.meta).some((v) => typeof v !== 'string')) {
            this.onerror?.(new Error(`malformed channel notification: ${line.slice(0, 200)}`));
          } else this.onChannel(params, at);
        } else this.onmessage?.(m);
      }
    });
    p.on('exit', () => this.onclose?.());
    p.on('error', (e) => this.onerror?.(e));
  }

  async send(m: JSONRPCMessage): Promise<void> {
    this.proc?.stdin!.write(JSON.stringify(m) + '\n');
  }

  async close(): Promise<void> {
    this.proc?.stdin!.end();
    this.proc?.kill();
  }
}

export interface McpPeer {
  id: string;
  name: string;
  /** The session key the MCP server acts with (given to it as claude's launcher does, in its env). */
  key: string;
  /** Acts as this session over HTTP (what its hooks do). */
  http: Session;
  /** The MCP server's process id. */
  pid: number;
  client: Client;
  /** Called with each channel push and the time it reached this client. */
  onNote: ((note: { content: string; meta: Record<string, string> }, at: number) => void) | null;
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; structured: any; isError: boolean }>;
  close(): Promise<void>;
}

/** `claude-peers mcp` as a child process, connected over stdio with the SDK's Client. */
export async function startMcpPeer(b: Broker, claudePid: number, cwd = process.cwd()): Promise<McpPeer> {
  const key = newKey();
  const transport = new LeanStdioTransport({
    args: [...NODE_ARGS, CLI, 'mcp'],
    cwd,
    env: {
      ...(process.env as Record<string, string>),
      CLAUDE_PEERS_HOME: b.home,
      CLAUDE_PEERS_PORT: String(b.port),
      CLAUDE_PEERS_CLAUDE_PID: String(claudePid),
      CLAUDE_PEERS_AUTOSTART: '0',
      [SESSION_KEY_ENV]: key,
    },
  }, (n, at) => peer.onNote?.(n, at));
  const client = new Client({ name: 'bench-claude', version: '1.0.0' });
  client.onerror = (e) => { throw e; };
  const peer: McpPeer = {
    id: '', name: '', key, http: null as unknown as Session, pid: 0, client, onNote: null,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as any;
      return { text: (r.content ?? []).map((c: any) => c.text).join('\n'), structured: r.structuredContent, isError: !!r.isError };
    },
    close: () => client.close().catch(() => {}),
  };
  await client.connect(transport);
  peer.pid = transport.proc!.pid!;
  cleanups.push(() => { void client.close(); });
  const me = await waitFor(async () => (await peer.call('whoami')).structured, 10_000, 'the MCP server to register');
  peer.id = me.id;
  peer.name = me.name;
  peer.http = asSession(b, key, me);
  return peer;
}

/** Starts MCP peers a few at a time (each is a node process to boot). */
export async function startMcpPeers(b: Broker, claudePids: number[], parallel = 6): Promise<McpPeer[]> {
  const out: McpPeer[] = new Array(claudePids.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, claudePids.length) }, async () => {
    while (next < claudePids.length) {
      const i = next++;
      out[i] = await startMcpPeer(b, claudePids[i]);
    }
  }));
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function stats(samples: number[]): { n: number; p50: number; p95: number; p99: number; mean: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99),
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1), max: s[s.length - 1] ?? NaN,
  };
}

/** Milliseconds with a precision that suits their size. */
export const ms = (v: number) => (!Number.isFinite(v) ? '—' : Math.abs(v) < 10 ? v.toFixed(2) : Math.abs(v) < 100 ? v.toFixed(1) : v.toFixed(0));

export { rng } from '../test/support/rng.ts';

export interface Table { caption: string; columns: string[]; rows: (string | number)[][] }
export interface BenchResult { name: string; title: string; notes: string[]; tables: Table[]; data?: unknown; /** Why nothing was measured (a tool is missing). */ skipped?: string }

/** Prints the tables and hands the result to scripts/bench.mjs (BENCH_RESULT_FILE). */
export function report(r: BenchResult): void {
  for (const t of r.tables) {
    console.log(`\n${t.caption}`);
    const cells = [t.columns, ...t.rows.map((row) => row.map(String))];
    const w = t.columns.map((_, i) => Math.max(...cells.map((c) => String(c[i] ?? '').length)));
    for (const [k, c] of cells.entries()) {
      console.log('  ' + c.map((v, i) => String(v).padEnd(w[i])).join('  '));
      if (k === 0) console.log('  ' + w.map((n) => '-'.repeat(n)).join('  '));
    }
  }
  for (const n of r.notes) console.log(`  note: ${n}`);
  if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(r, null, 2));
}

/**
 * True when every tool the benchmark needs is here. Otherwise it says so loudly, reports itself
 * skipped (scripts/bench.mjs shows that in the summary and in RESULTS.md) and returns false; under
 * CI=true a missing tool is an error instead (CI installs them: a skip there would hide a broken setup).
 */
export function skipUnless(name: string, title: string, needs: [tool: string, present: () => boolean][]): boolean {
  const missing = needs.filter(([, present]) => { try { return !present(); } catch { return true; } }).map(([tool]) => tool);
  if (!missing.length) return true;
  const why = `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not available`;
  if (process.env.CI === 'true') throw new Error(`${name}: ${why}, and CI=true: install ${missing.join(', ')} (scripts/setup-e2e.sh) or this benchmark cannot run.`);
  console.error(`\n*** SKIPPED ${name}: ${why}; nothing was measured ***\n`);
  if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify({ name, title, skipped: why, notes: [], tables: [] } satisfies BenchResult, null, 2));
  return false;
}

/** Runs a benchmark's main, exiting non-zero only when it breaks (never on a timing). */
export function run(main: () => Promise<void>): void {
  main().then(() => process.exit(0), (e) => {
    console.error(`benchmark failed: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  });
}

/**
 * The load generator's HTTP/1.1 client: one keep-alive connection, one request in flight, the
 * request written in one piece and the answer parsed just enough (status, Content-Length, JSON).
 * It plays the HTTP senders of the throughput benchmark, where every microsecond it spends is
 * taken from the two cores that the broker and the receivers share (as wrk or autocannon would
 * be used elsewhere). BrokerClient on node:http, what the MCP server uses, is measured by the
 * send_message tool rows. Each connection acts with one credential: a sender's session key.
 */
export class LoadClient {
  private buf: Buffer = Buffer.alloc(0);
  private sock: Socket | null = null;
  private waiting: { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private readonly head: string;
  private constructor(private readonly port: number, private readonly proofKey: string, credential: string) {
    this.head = `Host: 127.0.0.1:${port}\r\nAuthorization: Bearer ${credential}\r\nContent-Type: application/json\r\n`;
  }

  /** A connection acting with `credential`: a session's key (it sends as that session), or the user's token. */
  static async connect(b: Broker, credential: string = b.token): Promise<LoadClient> {
    const c = new LoadClient(b.port, b.joinToken, credential);
    await c.open();
    return c;
  }

  /** POSTs JSON; resolves with the parsed answer, rejects on an HTTP error with the broker's message. */
  async post<T = any>(path: string, body: unknown): Promise<T> {
    if (this.waiting) throw new Error('LoadClient: one request at a time');
    // The broker closes connections idle for a minute (keep-alive timeout): open a new one then.
    const sock = this.sock ?? (await this.open());
    const json = JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer to POST ${path} within 30 s`)), 30_000);
      this.waiting = { resolve, reject, timer };
      sock.write(`POST /v1${path} HTTP/1.1\r\n${this.head}Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    });
  }

  close(): void { this.sock?.destroy(); }

  private open(): Promise<Socket> {
    // Like every client of ours, it sends its credential only on a connection where the broker proved itself.
    return new Promise((resolve, reject) => {
      verifiedConnection(this.port, this.proofKey, 10_000, (err, sock) => {
        if (err || !sock) return reject(err ?? new Error('no connection'));
        sock.on('data', (c: Buffer) => { this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c; this.parse(); });
        sock.on('error', (e) => this.fail(e));
        sock.on('close', () => {
          if (this.sock === sock) { this.sock = null; this.buf = Buffer.alloc(0); }
          this.fail(new Error('the broker closed the connection during a request'));
        });
        this.sock = sock;
        resolve(sock);
      });
    });
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(length)) return this.fail(new Error(`an answer without Content-Length: ${head}`));
    if (this.buf.length < end + 4 + length) return;
    const text = this.buf.toString('utf8', end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    const status = Number(head.slice(9, 12));
    const w = this.waiting;
    this.waiting = null;
    if (!w) return this.fail(new Error('an answer nobody asked for'));
    clearTimeout(w.timer);
    let value: any;
    try { value = JSON.parse(text); } catch { return w.reject(new Error(`HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`)); }
    if (status !== 200) w.reject(new Error(`HTTP ${status}: ${value?.error?.message ?? text}`));
    else w.resolve(value);
  }

  private fail(e: Error): void {
    const w = this.waiting;
    this.waiting = null;
    if (w) { clearTimeout(w.timer); w.reject(e); }
  }
}
