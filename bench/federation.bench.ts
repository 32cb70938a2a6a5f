// Federation: what crossing a broker boundary over NATS JetStream costs, against local delivery in
// the same run, and how fast presence spreads.
//
// 1. Send → push: a real nats-server -js on loopback, two real brokers (A, B), real
//    `claude-peers mcp` processes: a sender and a local receiver on A, a remote receiver on B.
//    Messages go one at a time through the sender's send_message tool, alternating local and
//    remote. Latency = the receiver's MCP client sees the channel notification − the tool call
//    started (one clock: this process). The remote path is A's commit with its envelope, the
//    publish and its ack, B's consumer, B's commit before the ack, B's push.
// 2. Presence: three brokers on one network, then 100 sessions registered on each (as MCP servers
//    register: join token, then each its own key). Time until every broker lists all 300.
// Nothing here fails on a timing; a missing nats-server is reported, not failed.
import { QUICK, now, sleep, startBroker, standIns, startMcpPeer, stats, ms, report, run, waitFor, cpuPressure, type Broker, type McpPeer } from './lib.ts';
import { NATS_SERVER, startNats } from '../test/support/nats.ts';
import { registerSession } from '../test/support/processes.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FederationStatus, Peer } from '../src/protocol/wire.ts';

const SAMPLES = QUICK ? 30 : 300;
const WARMUP = QUICK ? 10 : 50;
const PER_BROKER = QUICK ? 30 : 100;
const FAST = { CLAUDE_PEERS_FEDERATION_BEAT_MS: '1000', CLAUDE_PEERS_TTL_MS: '600000' };

async function fedStatus(b: Broker): Promise<FederationStatus> {
  return (await b.client.get<{ federation: FederationStatus }>('/status')).federation;
}

async function timed(from: McpPeer, to: McpPeer, toAddress: string, tag: string): Promise<number> {
  let resolveNote!: (at: number) => void;
  const seen = new Promise<number>((r) => { resolveNote = r; });
  to.onNote = (n, at) => { if (n.content.endsWith(tag)) resolveNote(at); };
  const t0 = now();
  const r = await from.call('send_message', { to: toAddress, message: `federation probe ${tag}` });
  if (r.isError) throw new Error(`send_message failed: ${r.text}`);
  const at = await Promise.race([seen, sleep(15_000).then(() => { throw new Error(`no push for ${tag} within 15 s`); })]);
  to.onNote = null;
  return at - t0;
}

run(async () => {
  if (!NATS_SERVER) {
    report({ name: 'federation', title: 'Federation over NATS JetStream', notes: ['skipped: nats-server is not installed (apt-get install nats-server; scripts/setup-e2e.sh does it)'], tables: [] });
    return;
  }
  // ---- 1. latency, local and remote in the same run ----
  const nats = await startNats();
  const env = { ...nats.env('bench'), ...FAST };
  const A = await startBroker({ ...env, CLAUDE_PEERS_FEDERATION_HOST: 'bench-a' });
  const B = await startBroker({ ...env, CLAUDE_PEERS_FEDERATION_HOST: 'bench-b' });
  await waitFor(async () => (await fedStatus(A)).state === 'connected' && (await fedStatus(B)).state === 'connected', 20_000, 'both brokers on the network');
  const claude = standIns(3);
  const sender = await startMcpPeer(A, claude.pids[0]);
  const local = await startMcpPeer(A, claude.pids[1]);
  const remote = await startMcpPeer(B, claude.pids[2]);
  const remoteId = await waitFor(async () => (await A.client.get<{ peers: Peer[] }>('/peers?network=1')).peers.find((p) => p.id.endsWith(`_${remote.id}`))?.id, 20_000, 'the remote receiver at A');
  for (let k = 0; k < WARMUP; k++) { await timed(sender, local, local.id, `wl${k}z`); await timed(sender, remote, remoteId, `wr${k}z`); }
  const loc: number[] = [];
  const rem: number[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    loc.push(await timed(sender, local, local.id, `l${k}z`));
    rem.push(await timed(sender, remote, remoteId, `r${k}z`));
  }
  const pressure = cpuPressure();
  for (const p of [sender, local, remote]) await p.close();
  await A.stop();
  await B.stop();
  claude.kill();
  const L = stats(loc), R = stats(rem);
  console.log(`  local p50 ${ms(L.p50)} ms p99 ${ms(L.p99)} ms; remote p50 ${ms(R.p50)} ms p99 ${ms(R.p99)} ms`);

  // ---- 2. presence: 3 brokers × PER_BROKER peers ----
  const brokers: Broker[] = [];
  for (const h of ['p-alpha', 'p-beta', 'p-gamma']) brokers.push(await startBroker({ ...env, CLAUDE_PEERS_FEDERATION_NETWORK: 'presence', CLAUDE_PEERS_FEDERATION_HOST: h }));
  for (const b of brokers) await waitFor(async () => (await fedStatus(b)).state === 'connected', 20_000, 'joined');
  const total = PER_BROKER * brokers.length;
  const pids = standIns(total);
  const t0 = now();
  let registered = 0;
  let lastRegistered = 0;
  await Promise.all(brokers.map(async (b, i) => {
    const joinToken = readFileSync(join(b.home, 'join-token'), 'utf8').trim();
    for (let k = 0; k < PER_BROKER; k++) {
      const s = await registerSession({ port: b.port, joinToken }, { pid: pids.pids[i * PER_BROKER + k], cwd: `/bench/${i}/${k}` });
      s.client.close();
      registered++;
    }
    lastRegistered = now();
  }));
  const seenAt: number[] = [];
  await Promise.all(brokers.map(async (b) => {
    await waitFor(async () => (await b.client.get<{ peers: Peer[] }>('/peers?network=1')).peers.length >= total, 60_000, `all ${total} peers at a broker`, 10);
    seenAt.push(now());
  }));
  const allSeen = Math.max(...seenAt);
  for (const b of brokers) await b.stop();
  pids.kill();
  await nats.kill();

  report({
    name: 'federation',
    title: 'Federation over NATS JetStream',
    notes: [
      `${SAMPLES} messages each way, one at a time, local and remote alternating (after ${WARMUP} of each as warm-up); nats-server 2.9 -js on loopback; brokers, MCP servers and this process share the machine's cores.`,
      'local = send_message on the sender\'s MCP server → channel notification at a receiver on the same broker; remote = the same to a receiver on the other broker, through the outbox, JetStream and the other broker\'s durable consumer (stored there before the ack).',
      `presence: ${brokers.length} brokers already on the network, then ${PER_BROKER} sessions registered on each (${registered} in all, ${brokers.length} registration streams at once); "every broker sees every peer" = each broker's GET /v1/peers?network=1 lists all ${total}.`,
      `CPU pressure (Linux PSI some avg10) after the latency samples: ${pressure?.toFixed(0) ?? '—'} %.`,
    ],
    tables: [
      {
        caption: 'send → notifications/claude/channel at the receiver (ms), same run',
        columns: ['path', 'p50', 'p95', 'p99', 'max', 'samples'],
        rows: [['local (one broker)', ms(L.p50), ms(L.p95), ms(L.p99), ms(L.max), L.n], ['remote (two brokers over NATS)', ms(R.p50), ms(R.p95), ms(R.p99), ms(R.max), R.n]],
      },
      {
        caption: `presence: ${brokers.length} brokers × ${PER_BROKER} peers`,
        columns: ['registrations took (s)', 'every broker sees every peer, from the first registration (s)', 'after the last registration (s)'],
        rows: [[((lastRegistered - t0) / 1000).toFixed(2), ((allSeen - t0) / 1000).toFixed(2), ((allSeen - lastRegistered) / 1000).toFixed(2)]],
      },
    ],
    data: { federation: { local: L, remote: R, presence: { brokers: brokers.length, perBroker: PER_BROKER, registerS: (lastRegistered - t0) / 1000, allSeenS: (allSeen - t0) / 1000 } } },
  });
});
