// Send → `notifications/claude/channel` at the receiver's MCP client, at 2, 10 and 50 peers, next
// to a poll relay (a receiver that asks the broker's inbox every 1000 ms) measured in the same run.
//
// Push: one real broker, N real `claude-peers mcp` processes. Messages go round robin from peer i
// to peer i+1, one at a time (no queueing), sent two ways: the send_message tool through the
// sender's MCP server (what a session does), and a raw POST /v1/messages with the sender's session
// key (the broker path alone).
// Latency = the receiver's MCP client sees the channel notification − the send started, both on
// this process's clock.
// Poll baseline: N sessions registered on the same broker (each with its own key and live stand-in
// process) poll their GET /v1/peers/:id/inbox every 1000 ms (random phase) and ack what they get;
// messages are sent at uniformly random moments.
// Latency = the poll answer containing the message arrived − the send started.
import {
  QUICK, now, sleep, startBroker, standIns, startMcpPeers, stats, ms, rng, report, run, waitFor, cpuPressure, cpuMs, LoadClient,
  registerSession, type McpPeer, type Broker, type Session,
} from './lib.ts';
import type { InboxResponse, SendResponse } from '../src/protocol/wire.ts';

const SIZES = QUICK ? [2, 10] : [2, 10, 50];
const SAMPLES = QUICK ? 30 : 400;
const WARMUP = QUICK ? 10 : 40;
const POLL_WINDOW_MS = QUICK ? 2000 : 12_000;
const POLL_MESSAGES = QUICK ? 20 : 300;
/** Messages sent in a burst before sampling, so the broker runs JIT-compiled code as a long-lived one does. */
const BURST = QUICK ? 300 : 3000;

interface Row { peers: number; tool: ReturnType<typeof stats>; http: ReturnType<typeof stats>; poll: ReturnType<typeof stats>; toolResult: ReturnType<typeof stats>; rssMiB: number | null; pressure: number | null; settled: number }

/** Sends one message and resolves with the latency until the receiver's client saw it. */
async function timedSend(from: McpPeer, to: McpPeer, tag: string, via: 'tool' | 'http'): Promise<{ push: number; result: number }> {
  let resolveNote!: (at: number) => void;
  const seen = new Promise<number>((r) => { resolveNote = r; });
  to.onNote = (n, at) => { if (n.content.endsWith(tag)) resolveNote(at); };
  const t0 = now();
  let result: number;
  if (via === 'tool') {
    const r = await from.call('send_message', { to: to.id, message: `latency probe ${tag}` });
    if (r.isError) throw new Error(`send_message failed: ${r.text}`);
    result = now() - t0;
  } else {
    await from.http.post<SendResponse>('/messages', { to: to.id, body: `latency probe ${tag}` });
    result = now() - t0;
  }
  const at = await Promise.race([seen, sleep(10_000).then(() => { throw new Error(`no channel push for ${tag} within 10 s`); })]);
  to.onNote = null;
  return { push: at - t0, result };
}

async function pollBaseline(b: Broker, n: number, claudePids: number[], sender: McpPeer, seed: number): Promise<number[]> {
  const rand = rng(seed);
  const receivers: Session[] = [];
  for (let i = 0; i < n; i++) receivers.push(await registerSession(b, { pid: claudePids[i], cwd: `/bench/poll-${i}` }));
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let stop = false;
  const pollers = receivers.map(async (r) => {
    await sleep(rand() * 1000); // random phase, as independent sessions would have
    while (!stop) {
      const tick = now();
      const { messages } = await r.get<InboxResponse>(`/peers/${r.id}/inbox`);
      const at = now();
      for (const m of messages) {
        const t0 = sentAt.get(m.id);
        if (t0 !== undefined) latencies.push(at - t0);
      }
      if (messages.length) await r.post(`/peers/${r.id}/ack`, { ids: messages.map((m) => m.id), state: 'read' });
      await sleep(Math.max(0, 1000 - (now() - tick)));
    }
  });
  const start = now();
  const times = Array.from({ length: POLL_MESSAGES }, () => rand() * POLL_WINDOW_MS).sort((a, c) => a - c);
  for (const [k, t] of times.entries()) {
    await sleep(Math.max(0, start + t - now()));
    const to = receivers[k % receivers.length].id;
    const t0 = now();
    const { messages } = await sender.http.post<SendResponse>('/messages', { to, body: `poll probe ${k}` });
    sentAt.set(messages[0].id, t0);
  }
  await waitFor(() => latencies.length >= POLL_MESSAGES, 5000, 'the poll receivers to get every message');
  stop = true;
  await Promise.all(pollers);
  // The poll receivers leave (their SessionEnd hook), so the next size counts only its own peers.
  for (const [i, r] of receivers.entries()) await r.post('/hooks/SessionEnd?handover=ack', { hook_event_name: 'SessionEnd', cwd: `/bench/poll-${i}` });
  return latencies;
}

/**
 * Waits until the just-started MCP servers and the broker are idle: a fresh node process spends
 * its first seconds in garbage collections that shrink its start-up heap, and 50 of them at once
 * would otherwise measure the machine's start-up, not a message's way. Returns the seconds waited.
 */
async function settle(b: Broker, peers: McpPeer[]): Promise<number> {
  const t0 = now();
  const pids = [b.pid, ...peers.map((p) => p.pid)];
  const total = () => pids.reduce((a, pid) => a + (cpuMs(pid) ?? 0), 0);
  let quiet = 0;
  for (let before = total(); quiet < 3 && now() - t0 < (QUICK ? 3000 : 60_000);) {
    await sleep(1000);
    const after = total();
    quiet = (after - before) / pids.length <= 3 ? quiet + 1 : 0; // ≤ 0.3 % of a core per process, 3 s running
    before = after;
  }
  return (now() - t0) / 1000;
}

/** A fast burst of sends round the peers (load-generator client), then the pushes drained. */
async function burst(b: Broker, peers: McpPeer[]): Promise<void> {
  const lcs = await Promise.all(peers.map((p) => LoadClient.connect(b, p.key)));
  let got = 0;
  for (const p of peers) p.onNote = () => { got++; };
  for (let k = 0; k < BURST; k++) await lcs[k % peers.length].post('/messages', { to: peers[(k + 1) % peers.length].id, body: `burst ${k}` });
  await waitFor(() => got >= BURST, 30_000, 'the burst to be delivered');
  for (const p of peers) p.onNote = null;
  for (const lc of lcs) lc.close();
}

run(async () => {
  const b = await startBroker();
  const maxN = SIZES[SIZES.length - 1];
  const claude = standIns(maxN + SIZES.reduce((a, c) => a + c, 0));
  const peers: McpPeer[] = [];
  const rows: Row[] = [];
  let pollPid = maxN;
  for (const n of SIZES) {
    peers.push(...(await startMcpPeers(b, claude.pids.slice(peers.length, n))));
    await burst(b, peers.slice(0, n));
    const settled = await settle(b, peers.slice(0, n));
    const pair = (k: number) => [peers[k % n], peers[(k + 1) % n]] as const;
    for (let k = 0; k < WARMUP; k++) await timedSend(...pair(k), `w${n}x${k}z`, k % 2 ? 'tool' : 'http');
    const tool: number[] = [];
    const toolResult: number[] = [];
    const http: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      const r = await timedSend(...pair(k), `t${n}x${k}z`, 'tool');
      tool.push(r.push);
      toolResult.push(r.result);
      http.push((await timedSend(...pair(k), `h${n}x${k}z`, 'http')).push);
    }
    const rssMiB = b.rssMiB();
    const pressure = cpuPressure();
    const poll = await pollBaseline(b, n, claude.pids.slice(pollPid, pollPid + n), peers[0], 1000 + n);
    pollPid += n;
    rows.push({ peers: n, tool: stats(tool), http: stats(http), poll: stats(poll), toolResult: stats(toolResult), rssMiB, pressure, settled });
    console.log(`  ${n} peers: push p50 ${ms(stats(tool).p50)} ms (http ${ms(stats(http).p50)}), poll p50 ${ms(stats(poll).p50)} ms; settled after ${settled.toFixed(0)} s`);
  }
  for (const p of peers) await p.close();
  await b.stop();

  const t = (s: ReturnType<typeof stats>) => [ms(s.p50), ms(s.p95), ms(s.p99)];
  report({
    name: 'latency',
    title: 'Send → channel notification latency',
    notes: [
      `${SAMPLES} messages per size and path, one at a time; poll baseline: ${POLL_MESSAGES} messages at random moments over ${POLL_WINDOW_MS / 1000} s, N receivers polling every 1000 ms.`,
      `Before sampling, each size sends a burst of ${BURST} messages round its peers (a long-running broker runs optimised code; each MCP server gets ${BURST}/N of them), then waits until the broker and the MCP servers are idle (under 0.3 % of a core each for 3 s running; "settled" column): a fresh node process spends its first seconds in garbage collections of its start-up heap.`,
      'tool = send_message tool call on the sender\'s MCP server → channel notification at the receiver\'s MCP client; http = POST /v1/messages with the sender\'s session key → same notification.',
      'CPU pressure: Linux PSI "some avg10" after the push samples, the share of time runnable tasks waited for a CPU (other work on the machine); a push crosses three processes, each wait adds to it.',
      'Targets: push p50 < 2 ms, p99 < 10 ms.',
    ],
    tables: [{
      caption: 'send → notifications/claude/channel at the receiver (ms)',
      columns: ['peers', 'tool p50', 'tool p95', 'tool p99', 'http p50', 'http p95', 'http p99', 'poll 1 s p50', 'poll p95', 'poll p99', 'tool result p50', 'broker RSS MiB', 'CPU pressure %', 'settled s'],
      rows: rows.map((r) => [r.peers, ...t(r.tool), ...t(r.http), ...t(r.poll), ms(r.toolResult.p50), r.rssMiB?.toFixed(1) ?? '—', r.pressure?.toFixed(0) ?? '—', r.settled.toFixed(0)]),
    }],
    data: { latency: rows.map((r) => ({ peers: r.peers, tool: r.tool, http: r.http, poll: r.poll })) },
  });
});
