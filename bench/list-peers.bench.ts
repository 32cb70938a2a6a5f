// list_peers at 100, 500 and 1000 registered live peers: the MCP tool round trip (a real
// `claude-peers mcp` process driven by the SDK's Client) and raw GET /v1/peers, with the broker's
// resident memory at each size.
//
// Liveness is honest: every peer is registered, with a session key of its own, for the pid of its
// own real process (a `sleep`), and the broker's sweep checks each pid every 2 s as it does in use.
// The peers register over HTTP and do not heartbeat, so the broker runs with CLAUDE_PEERS_TTL_MS=1 h (a live MCP server
// heartbeats every 5 s instead; the pid check is what marks a dead session gone). Each peer has a
// summary and two edited files (PostToolUse hooks posted as Claude Code's HTTP hooks post them:
// its raw hook input, the session's key), so list_peers carries what it carries in use.
import { QUICK, now, startBroker, standIns, startMcpPeer, stats, ms, report, run, cpuPressure, registerSession, type Broker } from './lib.ts';
import type { PeersResponse } from '../src/protocol/wire.ts';

const SIZES = QUICK ? [100] : [100, 500, 1000];
const HTTP_SAMPLES = QUICK ? 30 : 200;
const TOOL_SAMPLES = QUICK ? 20 : 100;

async function register(b: Broker, pid: number, k: number, hookTimes: number[]): Promise<void> {
  const proj = `/home/dev/project-${k % 40}`;
  const cwd = `${proj}/packages/pkg-${k}`;
  const s = await registerSession(b, { pid, cwd, gitRoot: proj, branch: `feature/task-${k}` });
  await s.put(`/peers/${s.id}/summary`, { summary: `Working on task ${k}: refactoring the ${k % 7 === 0 ? 'auth' : 'billing'} module and its tests` });
  for (const f of ['src/index.ts', `src/module-${k % 13}.ts`]) {
    const t0 = now();
    await s.post('/hooks/PostToolUse', {
      session_id: `session-${k}`, cwd, hook_event_name: 'PostToolUse', permission_mode: 'default',
      tool_name: 'Edit', tool_input: { file_path: `${cwd}/${f}`, old_string: 'a', new_string: 'b' }, tool_response: { filePath: `${cwd}/${f}` },
    });
    hookTimes.push(now() - t0);
  }
}

run(async () => {
  const b = await startBroker({ CLAUDE_PEERS_TTL_MS: '3600000' });
  const max = SIZES[SIZES.length - 1];
  const claude = standIns(max);
  const rssIdle = b.rssMiB();
  const mcpClaude = standIns(1);
  const me = await startMcpPeer(b, mcpClaude.pids[0]);
  let registered = 1; // the measuring MCP peer is one of the live peers
  const rows: (string | number)[][] = [];
  const data: any[] = [];
  for (const n of SIZES) {
    const hookTimes: number[] = [];
    const t0 = now();
    while (registered < n) { await register(b, claude.pids[registered - 1], registered, hookTimes); registered++; }
    const regS = (now() - t0) / 1000;
    const live = (await b.client.get<PeersResponse>('/peers')).peers.length;
    if (live !== n) throw new Error(`expected ${n} live peers, the broker lists ${live}`);
    const http: number[] = [];
    let bytes = 0;
    const cpu0 = b.cpuMs();
    for (let i = 0; i < HTTP_SAMPLES; i++) {
      const s = now();
      const r = await b.client.get<PeersResponse>('/peers');
      http.push(now() - s);
      if (!i) bytes = Buffer.byteLength(JSON.stringify(r));
    }
    const cpuPerAnswer = (b.cpuMs() - cpu0) / HTTP_SAMPLES;
    const tool: number[] = [];
    for (let i = 0; i < TOOL_SAMPLES; i++) {
      const s = now();
      const r = await me.call('list_peers', { scope: 'machine' });
      tool.push(now() - s);
      // The default answer: the 50 most relevant peers and the total (what a model asks for).
      if (r.isError || r.structured.total !== n - 1 || r.structured.peers.length !== Math.min(50, n - 1)) {
        throw new Error(`list_peers returned ${r.structured?.peers?.length} of ${r.structured?.total} peers: ${r.text.slice(0, 200)}`);
      }
    }
    const h = stats(http);
    const t = stats(tool);
    const hk = stats(hookTimes);
    const rss = b.rssMiB();
    rows.push([n, ms(t.p50), ms(t.p95), ms(t.p99), ms(h.p50), ms(h.p95), ms(h.p99), ms(cpuPerAnswer), (bytes / 1024).toFixed(0), ms(hk.p50), ms(hk.p95), rss?.toFixed(1) ?? '—', cpuPressure()?.toFixed(0) ?? '—']);
    data.push({ peers: n, tool: t, http: h, hook: hk, bytes, rssMiB: rss, registerSeconds: regS, brokerCpuMsPerAnswer: cpuPerAnswer });
    console.log(`  ${n} peers: list_peers tool p50 ${ms(t.p50)} ms, GET /v1/peers p50 ${ms(h.p50)} ms, RSS ${rss?.toFixed(1)} MiB`);
  }
  await me.close();
  await b.stop();
  claude.kill();

  report({
    name: 'list-peers',
    title: 'list_peers at 100 / 500 / 1000 live peers',
    notes: [
      `${TOOL_SAMPLES} tool calls and ${HTTP_SAMPLES} HTTP requests per size, one at a time.`,
      'Each peer: its own session key and live process (sleep), cwd, git root, branch, summary, two edited files (PostToolUse hooks as Claude Code\'s HTTP hooks post them, whose time is shown).',
      'Broker CPU ms per GET: the broker process\'s CPU time over the HTTP samples ÷ their number. CPU pressure: Linux PSI "some avg10" (others\' work on the machine).',
      `Broker RSS with no peers: ${rssIdle?.toFixed(1) ?? '—'} MiB. Target: list_peers < 10 ms at 500 peers.`,
    ],
    tables: [{
      caption: 'list_peers round trip (ms) and broker memory',
      columns: ['live peers', 'tool p50', 'tool p95', 'tool p99', 'GET /v1/peers p50', 'p95', 'p99', 'broker CPU ms per GET', 'answer KiB', 'PostToolUse hook p50', 'hook p95', 'broker RSS MiB', 'CPU pressure %'],
      rows,
    }],
    data: { listPeers: data, rssIdleMiB: rssIdle },
  });
});
