// Exactly-once delivery across broker crashes: one MCP peer sends hundreds of messages to another
// through real processes while the broker is killed with SIGKILL (twice) and restarted on the same
// port and home. Every message whose send_message call succeeded reaches the receiver's MCP client
// exactly once, in the order the sender sent them; a send that failed may or may not have been
// committed before the crash, but even then it arrives at most once and in order.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnBroker, startMcpPeer, tempHome, waitFor, type BrokerProc, type McpPeer } from '../support/processes.ts';

const env = { CLAUDE_PEERS_RATE_MESSAGES_PER_MIN: '0', CLAUDE_PEERS_RATE_REQUESTS_PER_MIN: '0' };
const TOTAL = 400;
const KILL_AT = [120, 260]; // accepted sends after which the broker is killed
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let b: BrokerProc;
const peers: McpPeer[] = [];
after(async () => {
  for (const p of peers) await p.close();
  await b?.kill('SIGKILL');
});

test('kill -9 of the broker mid-stream: every accepted message arrives exactly once, in order', { timeout: 90_000 }, async (t) => {
  const home = tempHome();
  b = await spawnBroker(home, { env });
  const port = b.port;
  const sender = await startMcpPeer(home, port);
  const receiver = await startMcpPeer(home, port);
  peers.push(sender, receiver);
  const me = await waitFor(async () => (await sender.call('whoami')).structured, 5000, 'sender registered');
  const them = await waitFor(async () => (await receiver.call('whoami')).structured, 5000, 'receiver registered');

  const accepted = new Map<number, number>(); // message id → seq
  const failed: { seq: number; text: string }[] = [];
  const crashes: Promise<void>[] = [];
  let kills = 0;
  const crashAndRestart = async () => {
    const dead = b;
    await dead.kill('SIGKILL'); // no clean shutdown: whatever is in flight is cut off
    b = await spawnBroker(home, { port, env });
  };

  for (let seq = 0; seq < TOTAL; seq++) {
    const r = await sender.call('send_message', { to: them.id, message: `eo seq=${seq}` });
    if (r.isError) {
      failed.push({ seq, text: r.text });
      await sleep(25); // a session retries a failed tool call after a moment, not in a tight loop
    } else {
      accepted.set(r.structured.id, seq);
    }
    // The kill is not awaited: the next sends race it.
    if (kills < KILL_AT.length && accepted.size >= KILL_AT[kills]) { kills++; crashes.push(crashAndRestart()); }
  }
  await Promise.all(crashes);
  assert.equal(kills, KILL_AT.length);
  assert.ok(failed.length > 0, 'some sends hit the dead broker (the kill raced the stream)');
  for (const f of failed) assert.match(f.text, /broker|reach|answer|connect/i, 'a failed send tells the model why');
  assert.ok(accepted.size >= TOTAL - failed.length, 'every send is either accepted or reported as failed');

  const fromSender = () => receiver.notes.filter((n) => n.meta.from_id === me.id);
  await waitFor(() => [...accepted.keys()].every((id) => fromSender().some((n) => n.meta.message_id === String(id))), 20_000,
    'every accepted message at the receiver');
  // Give a late duplicate (a replay after a reconnect) every chance to show up.
  await waitFor(async () => (await b.client.get<any>(`/peers/${them.id}/inbox`)).messages.every((m: any) => m.state !== 'queued'), 10_000, 'all acked');
  await sleep(1500);

  const got = fromSender().map((n) => ({ id: Number(n.meta.message_id), seq: Number(/eo seq=(\d+)$/.exec(n.content)?.[1]) }));
  const ids = got.map((g) => g.id);
  assert.equal(new Set(ids).size, ids.length, `no duplicates (got ${ids.length} pushes for ${new Set(ids).size} messages)`);
  for (const [id, seq] of accepted) {
    const g = got.find((x) => x.id === id);
    assert.ok(g, `accepted message ${id} (seq ${seq}) arrived`);
    assert.equal(g.seq, seq, `message ${id} carries its own text`);
  }
  for (let i = 1; i < got.length; i++) {
    assert.ok(got[i].seq > got[i - 1].seq && got[i].id > got[i - 1].id, `in order: seq ${got[i - 1].seq} then ${got[i].seq}`);
  }
  // Anything that arrived beyond the accepted ones was a send cut off after its commit.
  const failedSeqs = new Set(failed.map((f) => f.seq));
  for (const g of got) if (![...accepted.keys()].includes(g.id)) assert.ok(failedSeqs.has(g.seq), `extra message seq ${g.seq} was a failed send`);

  t.diagnostic(`${accepted.size} accepted, ${failed.length} failed during ${KILL_AT.length} crashes, ${got.length - accepted.size} committed despite a failed answer`);
  // The broker agrees: each accepted message stored once for the receiver, none left undelivered.
  const all = (await b.client.get<any>(`/peers/${them.id}/inbox?state=all`)).messages.filter((m: any) => m.fromId === me.id);
  assert.deepEqual(all.map((m: any) => m.id), ids, 'the stored messages are exactly the pushed ones');
});
