// Exactly once across crashes: a peer on broker A sends hundreds of messages to a peer on broker B
// while A, the nats-server and B are each killed with SIGKILL mid-stream (not waited for: the next
// sends race the kill) and restarted on the same home, port and store. Every send that was
// accepted reaches B's peer exactly once, in the order sent; a send whose answer was lost may have
// been committed before the crash, and then it too arrives once, in its place.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMcpPeer, tempHome, waitFor, type McpPeer } from '../support/processes.ts';
import { natsMissing, startNats, type NatsProc } from '../support/nats.ts';
import { connected, federation, fedBroker, networkPeers, type FedBroker } from '../support/federation.ts';

const skip = natsMissing() ?? false;
const TOTAL = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let nats: NatsProc | undefined;
let A: FedBroker | undefined, B: FedBroker | undefined;
const peers: McpPeer[] = [];
after(async () => {
  for (const p of peers) await p.close();
  await A?.kill('SIGKILL');
  await B?.kill('SIGKILL');
  await nats?.kill('SIGKILL');
});

test('kill -9 of the sending broker, of nats-server and of the receiving broker mid-stream: every accepted message once, in order', { skip, timeout: 180_000 }, async (t) => {
  nats = await startNats();
  A = await fedBroker(nats, 'sender-host');
  B = await fedBroker(nats, 'receiver-host');
  await connected(A);
  await connected(B);
  const sender = await startMcpPeer(A.home, A.port, { cwd: tempHome('cp-w-'), env: { CLAUDE_PEERS_HOME: A.home } });
  const receiver = await startMcpPeer(B.home, B.port, { cwd: tempHome('cp-w-'), env: { CLAUDE_PEERS_HOME: B.home } });
  peers.push(sender, receiver);
  const them = await waitFor(async () => (await receiver.call('whoami')).structured, 10_000, 'receiver registered');
  await waitFor(async () => (await sender.call('whoami')).structured, 10_000, 'sender registered');
  const target = await waitFor(async () => (await networkPeers(A!)).find((p) => p.id.endsWith(`_${them.id}`))?.id, 15_000, 'the receiver known at A');

  const crashes: Promise<void>[] = [];
  const plan: [number, string, () => Promise<void>][] = [
    [70, 'sending broker', async () => { const { home, port } = A!; await A!.kill('SIGKILL'); A = await fedBroker(nats!, 'sender-host', { home, port }); }],
    // Down for a while: sends go on being accepted (committed with their envelopes) meanwhile.
    [150, 'nats-server', async () => { await nats!.kill('SIGKILL'); await sleep(1000); await nats!.restart(); }],
    [280, 'receiving broker', async () => { const { home, port } = B!; await B!.kill('SIGKILL'); B = await fedBroker(nats!, 'receiver-host', { home, port }); }],
  ];
  let outboxPeak = 0;
  const poll = setInterval(() => { federation(A!).then((f) => { outboxPeak = Math.max(outboxPeak, f.outbox); }, () => {}); }, 50);
  const accepted = new Map<number, number>(); // message id at A → seq
  const failed: number[] = [];
  let step = 0;
  for (let seq = 0; seq < TOTAL; seq++) {
    const r = await sender.call('send_message', { to: target, message: `fed eo seq=${seq}` });
    if (r.isError) { failed.push(seq); await sleep(25); } else accepted.set(r.structured.id, seq);
    if (step < plan.length && accepted.size >= plan[step][0]) {
      t.diagnostic(`kill -9 of the ${plan[step][1]} after ${accepted.size} accepted sends`);
      crashes.push(plan[step][2]());
      step++;
    }
  }
  await Promise.all(crashes);
  clearInterval(poll);
  assert.equal(step, plan.length);
  assert.ok(failed.length > 0, 'some sends met the dead sending broker');

  const fromSender = () => receiver.notes.filter((n) => /^fed eo seq=\d+$/.test(n.content.split('\n\n').pop() ?? ''));
  const seqOf = (n: { content: string }) => Number(/seq=(\d+)$/.exec(n.content)![1]);
  const want = new Set(accepted.values());
  await waitFor(() => { const got = new Set(fromSender().map(seqOf)); return [...want].every((s) => got.has(s)); }, 60_000,
    `all ${want.size} accepted messages at the receiver`);
  // Late duplicates (a redelivery, a replay after a reconnect) get every chance to show up.
  await waitFor(async () => (await federation(A!)).outbox === 0 && (await federation(B!)).outbox === 0, 30_000, 'both outboxes empty');
  await waitFor(async () => (await B!.client.get<any>(`/peers/${them.id}/inbox`)).messages.every((m: any) => m.state !== 'queued'), 30_000, 'all delivered at B');
  await sleep(1500);

  const seqs = fromSender().map(seqOf);
  assert.equal(new Set(seqs).size, seqs.length, `no duplicates (${seqs.length} pushes of ${new Set(seqs).size} messages)`);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `in order: ${seqs[i - 1]} then ${seqs[i]}`);
  const failedSet = new Set(failed);
  for (const s of seqs) assert.ok(want.has(s) || failedSet.has(s), `seq ${s} was sent`);
  // B stored each once: its inbox for the receiver is exactly what was pushed.
  const stored = (await B!.client.get<any>(`/peers/${them.id}/inbox?state=all`)).messages.filter((m: any) => /^fed eo/.test(m.body)).map((m: any) => Number(/seq=(\d+)$/.exec(m.body)![1]));
  assert.deepEqual(stored, seqs, 'stored once each at the receiving broker');
  t.diagnostic(`${accepted.size} accepted, ${failed.length} failed while the sending broker was down, ${seqs.length - want.size} committed despite a failed answer; ` +
    `up to ${outboxPeak} envelopes waited in the outbox`);
});
