// Durable messages per second through one broker with 1, 8 and 32 concurrent senders, next to a
// poll relay measured in the same run on the same broker.
//
// A sender is a registered session that keeps one POST /v1/messages in flight (the request the
// send_message tool makes) with its own session key on its own keep-alive connection, through a
// lean load-generator client (LoadClient); the broker answers 200 only after the message and its delivery row are committed
// to SQLite, so "accepted" = durable. Each sender writes to one of R receivers
// (R = min(senders, 4)).
// - push: the receivers are real `claude-peers mcp` processes; a message counts as delivered when
//   its notifications/claude/channel reaches the receiver's MCP client (each server then acks it).
// - poll 1 s (the baseline): the receivers are registered sessions that GET /v1/peers/:id/inbox
//   with their own keys every 1000 ms and ack what they got as read. The inbox answers at most 500 oldest unread per call,
//   so this relay moves at most 500 messages per receiver per second.
// - poll 1 s, drain: the same, but a receiver asks again at once while a page came back full.
// Throughput: accepted = messages answered 200 / sending time; delivered end-to-end = messages
// delivered / (last delivery − first send). Sending lasts the same D seconds in every mode.
// The send_message tool path (senders are MCP servers driven by tool calls) is measured too.
import {
  QUICK, now, sleep, startBroker, standIns, startMcpPeers, report, run, waitFor, cpuPressure, LoadClient, registerSession,
  type Broker, type McpPeer, type Session,
} from './lib.ts';
import type { InboxResponse } from '../src/protocol/wire.ts';

const SENDERS = QUICK ? [8] : [1, 8, 32];
const TOOL_SENDERS = QUICK ? [8] : [1, 8];
const DURATION_MS = QUICK ? 1000 : 5000;
const MAX_RECEIVERS = 4;
const CONVERSATION_MS = QUICK ? 1000 : 4000;
/** Each HTTP row is run this many times, modes interleaved; the table shows the median run (this VM's runs vary by ±30 %). */
const REPS = QUICK ? 1 : 3;

interface Outcome { accepted: number; acceptedPerS: number; deliveredPerS: number; drainS: number; brokerCpuUsPerMsg: number }

let runNo = 0;
const pressure = () => cpuPressure()?.toFixed(0) ?? '—';

/** Closed-loop senders for DURATION_MS; returns when sending stopped. */
async function sendFor(send: (j: number, seq: number) => Promise<void>, senders: number): Promise<{ accepted: number; t0: number; t1: number }> {
  let accepted = 0;
  const t0 = now();
  const end = t0 + DURATION_MS;
  await Promise.all(Array.from({ length: senders }, async (_, j) => {
    for (let seq = 0; now() < end; seq++) {
      await send(j, seq);
      accepted++;
    }
  }));
  return { accepted, t0, t1: now() };
}

/** One load-generator connection per HTTP sender (index j), opened once. */
let conns: LoadClient[] = [];

async function pushRun(b: Broker, senderSessions: Session[], receivers: McpPeer[], viaTool: McpPeer[] | null): Promise<Outcome> {
  const tag = `r${++runNo}:`;
  let delivered = 0;
  let last = 0;
  for (const r of receivers) r.onNote = (n, at) => { if (n.content.includes(tag)) { delivered++; last = at; } };
  const n = viaTool ? viaTool.length : senderSessions.length;
  const cpu0 = b.cpuMs();
  const { accepted, t0, t1 } = await sendFor(async (j, seq) => {
    const to = receivers[j % receivers.length].id;
    if (viaTool) {
      const r = await viaTool[j].call('send_message', { to, message: `${tag}${j}:${seq}` });
      if (r.isError) throw new Error(r.text);
    } else {
      await conns[j].post('/messages', { to, body: `${tag}${j}:${seq}` });
    }
  }, n);
  await waitFor(() => delivered >= accepted, 120_000, `push delivery (${delivered}/${accepted})`);
  const cpu = b.cpuMs() - cpu0;
  for (const r of receivers) r.onNote = null;
  return { accepted, acceptedPerS: accepted / ((t1 - t0) / 1000), deliveredPerS: accepted / ((last - t0) / 1000), drainS: (last - t1) / 1000, brokerCpuUsPerMsg: (cpu * 1000) / accepted };
}

async function pollRun(b: Broker, senderSessions: Session[], receiverSessions: Session[], drain: boolean): Promise<Outcome> {
  let delivered = 0;
  let last = 0;
  let stop = false;
  const pollers = receiverSessions.map(async (r, i) => {
    await sleep((1000 * i) / receiverSessions.length); // spread phases
    while (!stop) {
      const tick = now();
      for (;;) {
        const { messages } = await r.get<InboxResponse>(`/peers/${r.id}/inbox`);
        if (messages.length) {
          delivered += messages.length;
          last = now();
          await r.post(`/peers/${r.id}/ack`, { ids: messages.map((m) => m.id), state: 'read' });
        }
        if (!drain || messages.length < 500) break;
      }
      await sleep(Math.max(0, 1000 - (now() - tick)));
    }
  });
  const cpu0 = b.cpuMs();
  const { accepted, t0, t1 } = await sendFor(async (j, seq) => {
    await conns[j].post('/messages', { to: receiverSessions[j % receiverSessions.length].id, body: `poll ${j}:${seq}` });
  }, senderSessions.length);
  await waitFor(() => delivered >= accepted, 300_000, `poll delivery (${delivered}/${accepted})`);
  const cpu = b.cpuMs() - cpu0;
  stop = true;
  await Promise.all(pollers);
  return { accepted, acceptedPerS: accepted / ((t1 - t0) / 1000), deliveredPerS: accepted / ((last - t0) / 1000), drainS: (last - t1) / 1000, brokerCpuUsPerMsg: (cpu * 1000) / accepted };
}

/**
 * Conversation pace: each sender waits until its previous message reached its receiver before
 * sending the next (a request that needs an answer). Push receivers are the MCP peers; poll ones
 * the 1 s pollers. Returns delivered messages per second.
 */
async function conversationRun(senderSessions: Session[], receivers: McpPeer[] | Session[], ms: number): Promise<number> {
  const waiting = new Map<string, () => void>();
  const push = 'client' in receivers[0];
  const tag = `c${++runNo}:`;
  let stop = false;
  const pollers: Promise<void>[] = [];
  if (push) {
    for (const r of receivers as McpPeer[]) r.onNote = (n) => { const m = /(c\d+:\d+:\d+)$/.exec(n.content); if (m) waiting.get(m[1])?.(); };
  } else {
    (receivers as Session[]).forEach((r, i) => pollers.push((async () => {
      await sleep((1000 * i) / receivers.length);
      while (!stop) {
        const tick = now();
        const { messages } = await r.get<InboxResponse>(`/peers/${r.id}/inbox`);
        for (const m of messages) waiting.get(m.body)?.();
        if (messages.length) await r.post(`/peers/${r.id}/ack`, { ids: messages.map((m) => m.id), state: 'read' });
        await sleep(Math.max(0, 1000 - (now() - tick)));
      }
    })()));
  }
  let delivered = 0;
  const t0 = now();
  await Promise.all(senderSessions.map(async (_from, j) => {
    const to = receivers[j % receivers.length].id;
    for (let seq = 0; now() - t0 < ms; seq++) {
      const key = `${tag}${j}:${seq}`;
      const got = new Promise<void>((r) => waiting.set(key, r));
      await conns[j].post('/messages', { to, body: key });
      await got;
      waiting.delete(key);
      delivered++;
    }
  }));
  const rate = delivered / ((now() - t0) / 1000);
  stop = true;
  await Promise.all(pollers);
  if (push) for (const r of receivers as McpPeer[]) r.onNote = null;
  return rate;
}

run(async () => {
  const b = await startBroker();
  const maxS = SENDERS[SENDERS.length - 1];
  const claude = standIns(MAX_RECEIVERS * 2 + maxS + Math.max(...TOOL_SENDERS));
  let nextPid = 0;
  const pid = () => claude.pids[nextPid++];
  const receivers = await startMcpPeers(b, Array.from({ length: MAX_RECEIVERS }, pid));
  const pollReceivers: Session[] = [];
  for (let i = 0; i < MAX_RECEIVERS; i++) pollReceivers.push(await registerSession(b, { pid: pid(), cwd: `/bench/poll-${i}` }));
  const senders: Session[] = [];
  for (let i = 0; i < maxS; i++) senders.push(await registerSession(b, { pid: pid(), cwd: `/bench/sender-${i}` }));
  const toolSenders = await startMcpPeers(b, Array.from({ length: Math.max(...TOOL_SENDERS) }, pid));
  conns = await Promise.all(senders.map((s) => LoadClient.connect(b, s.key)));
  await sleep(300);
  // Warm-up (JIT, SQLite page cache), not counted.
  await pushRun(b, senders.slice(0, 8), receivers, null);

  const rows: (string | number)[][] = [];
  const data: any[] = [];
  const f = (v: number) => Math.round(v).toLocaleString('en-US');
  const median = (runs: Outcome[]) => [...runs].sort((a, c) => a.deliveredPerS - c.deliveredPerS)[Math.floor(runs.length / 2)];
  for (const s of SENDERS) {
    const r = Math.min(s, MAX_RECEIVERS);
    const pushes: Outcome[] = [], polls: Outcome[] = [], drains: Outcome[] = [];
    for (let k = 0; k < REPS; k++) {
      pushes.push(await pushRun(b, senders.slice(0, s), receivers.slice(0, r), null));
      polls.push(await pollRun(b, senders.slice(0, s), pollReceivers.slice(0, r), false));
      drains.push(await pollRun(b, senders.slice(0, s), pollReceivers.slice(0, r), true));
    }
    const [push, poll, pollDrain] = [median(pushes), median(polls), median(drains)];
    rows.push([s, r, f(push.acceptedPerS), f(push.deliveredPerS), pushes.map((o) => f(o.deliveredPerS)).join(' / '), f(poll.acceptedPerS), f(poll.deliveredPerS), f(pollDrain.deliveredPerS),
      (push.deliveredPerS / poll.deliveredPerS).toFixed(1) + '×', (push.deliveredPerS / pollDrain.deliveredPerS).toFixed(2) + '×', push.accepted,
      f(push.brokerCpuUsPerMsg), f(1e6 / push.brokerCpuUsPerMsg), f(poll.brokerCpuUsPerMsg), pressure()]);
    data.push({ senders: s, receivers: r, push, poll, pollDrain, runs: { push: pushes, poll: polls, pollDrain: drains } });
    console.log(`  ${s} senders: push ${f(push.acceptedPerS)}/s accepted, ${f(push.deliveredPerS)}/s delivered (runs: ${pushes.map((o) => f(o.deliveredPerS)).join(' / ')}); poll ${f(poll.deliveredPerS)}/s delivered`);
  }
  const toolRows: (string | number)[][] = [];
  for (const s of TOOL_SENDERS) {
    const r = Math.min(s, MAX_RECEIVERS);
    const t = await pushRun(b, [], receivers.slice(0, r), toolSenders.slice(0, s));
    toolRows.push([s, r, f(t.acceptedPerS), f(t.deliveredPerS), t.accepted, f(t.brokerCpuUsPerMsg), pressure()]);
    data.push({ toolSenders: s, receivers: r, push: t });
  }
  const convRows: (string | number)[][] = [];
  for (const s of SENDERS) {
    const r = Math.min(s, MAX_RECEIVERS);
    const push = await conversationRun(senders.slice(0, s), receivers.slice(0, r), CONVERSATION_MS);
    const poll = await conversationRun(senders.slice(0, s), pollReceivers.slice(0, r), CONVERSATION_MS);
    convRows.push([s, r, f(push), poll.toFixed(1), `${Math.round(push / poll)}×`]);
    data.push({ conversationSenders: s, receivers: r, push, poll });
  }
  const rss = b.rssMiB();
  for (const c of conns) c.close();
  for (const p of [...receivers, ...toolSenders]) await p.close();
  await b.stop();

  report({
    name: 'throughput',
    title: 'Durable messages per second through one broker',
    notes: [
      `Each row is the median of ${REPS} run${REPS > 1 ? 's' : ''} per mode (modes interleaved; every push run is listed). Each mode sends for ${DURATION_MS / 1000} s; senders keep one request in flight each, on their own keep-alive connection; accepted = answered 200 after the SQLite commit.`,
      'HTTP senders are registered sessions, each sending with its own session key through a lean load-generator client (bench/lib.ts LoadClient, which has the broker prove itself on each connection as every client of ours does) so the load generator takes little of the two cores it shares with the broker and the receivers; the send_message rows use the real MCP server and its node:http client.',
      'Poll 1 s baseline: receivers GET their inbox every 1000 ms (≤ 500 messages per answer) and ack them; delivered/s = messages / (last delivery − first send).',
      '"drain" = the poll receiver asks again at once while a full page came back (no 500-per-second cap).',
      `Push receivers are real MCP servers: they ack deliveries in 100 ms batches; poll receivers ack once per page. Broker RSS after the runs: ${rss?.toFixed(1) ?? '—'} MiB.`,
      'Conversation pace: a sender sends its next message once the previous one was delivered, for ' + CONVERSATION_MS / 1000 + ' s (latency-bound, like agents waiting for an answer).',
      'Broker CPU µs/msg: the broker process\'s user+system CPU time over the run ÷ messages (push includes each receiver\'s ack); msgs/s per broker CPU-second = 1e6 ÷ that, what the broker could take on a free core.',
      'CPU pressure: Linux PSI "some avg10", the share of time runnable tasks waited for a CPU (other work on the machine).',
      'Targets: ≥ 5000 durable messages/s with 8 senders, ≥ 2× the poll baseline.',
    ],
    tables: [
      {
        caption: 'HTTP senders (POST /v1/messages) → receivers (messages/s)',
        columns: ['senders', 'receivers', 'push accepted/s', 'push delivered/s', 'push delivered/s, each run', 'poll 1 s accepted/s', 'poll 1 s delivered/s', 'poll drain delivered/s', 'push ÷ poll', 'push ÷ poll drain', 'messages (push)',
          'broker CPU µs/msg (push)', 'push msgs/s per broker CPU-second', 'broker CPU µs/msg (poll)', 'CPU pressure %'],
        rows,
      },
      {
        caption: 'Conversation pace: each sender waits until its last message was delivered (messages/s)',
        columns: ['senders', 'receivers', 'push', 'poll 1 s', 'push ÷ poll'],
        rows: convRows,
      },
      {
        caption: 'send_message tool senders (real MCP servers) → push receivers (messages/s)',
        columns: ['MCP senders', 'receivers', 'accepted/s', 'delivered/s', 'messages', 'broker CPU µs/msg', 'CPU pressure %'],
        rows: toolRows,
      },
    ],
    data: { throughput: data },
  });
});
