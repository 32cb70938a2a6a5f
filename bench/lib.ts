// Shared pieces of the benchmarks: a real broker process, real `claude-peers mcp` processes driven
// by the MCP SDK's Client (as Claude Code drives them), stand-in claude processes, percentiles,
// broker RSS, and the result file scripts/bench.mjs turns into bench/RESULTS.md.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { z } from 'zod';
import { BrokerClient } from '../src/client/broker-client.ts';
import { waitFor } from '../test/support/processes.ts';

export const CLI = resolve(__dirname, '../dist/cli.js');
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
export const now = () => performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

export interface Broker { proc: ChildProcess; pid: number; port: number; home: string; token: string; client: BrokerClient; rssMiB(): number | null; cpuMs(): number; stop(): Promise<void> }

/** `claude-peers broker` as its own process on a free loopback port. */
export async function startBroker(env: Record<string, string> = {}): Promise<Broker> {
  const home = tempHome();
  let err = '';
  const proc = spawn(process.execPath, [CLI, 'broker', '--port', '0'], {
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
  const client = new BrokerClient({ port, token, timeoutMs: 30_000 });
  await waitFor(() => client.health(), 5000, 'broker health');
  return {
    proc, pid: proc.pid!, port, home, token, client,
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

const ChannelNotification = z.object({
  method: z.literal('notifications/claude/channel'),
  params: z.object({ content: z.string(), meta: z.record(z.string()) }),
});

export interface McpPeer {
  id: string;
  name: string;
  client: Client;
  /** Called with each channel push and the time it reached this client. */
  onNote: ((note: { content: string; meta: Record<string, string> }, at: number) => void) | null;
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; structured: any; isError: boolean }>;
  close(): Promise<void>;
}

/** `claude-peers mcp` as a child process, connected over stdio with the SDK's Client. */
export async function startMcpPeer(b: Broker, claudePid: number, cwd = process.cwd()): Promise<McpPeer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp'],
    cwd,
    env: {
      ...(process.env as Record<string, string>),
      CLAUDE_PEERS_HOME: b.home,
      CLAUDE_PEERS_PORT: String(b.port),
      CLAUDE_PEERS_CLAUDE_PID: String(claudePid),
      CLAUDE_PEERS_AUTOSTART: '0',
    },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench-claude', version: '1.0.0' });
  const peer: McpPeer = {
    id: '', name: '', client, onNote: null,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as any;
      return { text: (r.content ?? []).map((c: any) => c.text).join('\n'), structured: r.structuredContent, isError: !!r.isError };
    },
    close: () => client.close().catch(() => {}),
  };
  client.setNotificationHandler(ChannelNotification, (n) => { const at = now(); peer.onNote?.(n.params, at); });
  await client.connect(transport);
  cleanups.push(() => { void client.close(); });
  const me = await waitFor(async () => (await peer.call('whoami')).structured, 10_000, 'the MCP server to register');
  peer.id = me.id;
  peer.name = me.name;
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
export const ms = (v: number) => (!Number.isFinite(v) ? '—' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

export { rng } from '../test/support/rng.ts';

export interface Table { caption: string; columns: string[]; rows: (string | number)[][] }
export interface BenchResult { name: string; title: string; notes: string[]; tables: Table[]; data?: unknown }

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

/** Runs a benchmark's main, exiting non-zero only when it breaks (never on a timing). */
export function run(main: () => Promise<void>): void {
  main().then(() => process.exit(0), (e) => {
    console.error(`benchmark failed: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  });
}
