// Three brokers on one network, two MCP peers each: everyone sees everyone, messages go around
// the triangle in order, a network broadcast reaches all five others, and a lock raced for by a
// peer on each host is granted to exactly one of them. A second network on the same NATS server
// stays apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMcpPeer, tempHome, waitFor, type McpPeer } from '../support/processes.ts';
import { natsMissing, startNats, type NatsProc } from '../support/nats.ts';
import { connected, fedBroker, networkPeers, type FedBroker } from '../support/federation.ts';

const skip = natsMissing() ?? false;
let nats: NatsProc;
const brokers: FedBroker[] = [];
const peers: { p: McpPeer; id: string; name: string; host: string }[] = [];
const all: McpPeer[] = [];

before(async () => {
  if (skip) return;
  nats = await startNats();
  for (const host of ['alpha', 'beta', 'gamma']) brokers.push(await fedBroker(nats, host));
  for (const b of brokers) await connected(b);
  for (const b of brokers) {
    for (let i = 0; i < 2; i++) {
      const p = await startMcpPeer(b.home, b.port, { cwd: tempHome('cp-w-'), env: { CLAUDE_PEERS_HOME: b.home } });
      all.push(p);
      const me = await waitFor(async () => (await p.call('whoami')).structured, 10_000, 'registered');
      peers.push({ p, id: me.id, name: me.name, host: b.host });
    }
  }
});
after(async () => {
  for (const p of all) await p.close();
  for (const b of brokers) await b.kill();
  await nats?.kill();
});

const on = (host: string) => peers.filter((x) => x.host === host);

test('every broker sees every other broker\'s peers', { skip, timeout: 60_000 }, async () => {
  for (const b of brokers) {
    await waitFor(async () => {
      const list = await networkPeers(b);
      return peers.every((x) => list.some((p) => p.id === x.id || p.id.endsWith(`_${x.id}`)));
    }, 20_000, `all six peers at ${b.host}`);
    const remote = (await networkPeers(b)).filter((p) => p.host);
    assert.equal(remote.length, 4);
    assert.deepEqual([...new Set(remote.map((p) => p.host))].sort(), ['alpha', 'beta', 'gamma'].filter((h) => h !== b.host));
  }
});

test('around the triangle: each message once, in the order sent', { skip, timeout: 90_000 }, async () => {
  const ring = [[on('alpha')[0], on('beta')[0]], [on('beta')[0], on('gamma')[0]], [on('gamma')[0], on('alpha')[0]]] as const;
  const N = 40;
  await Promise.all(ring.map(async ([from, to]) => {
    for (let i = 0; i < N; i++) {
      const r = await from.p.call('send_message', { to: `${to.name}@${to.host}`, message: `ring ${from.host} seq=${i}` });
      assert.equal(r.isError, false, r.text);
    }
  }));
  for (const [from, to] of ring) {
    const mine = () => to.p.notes.filter((n) => n.content.includes(`ring ${from.host} seq=`));
    await waitFor(() => mine().length >= N, 30_000, `${N} messages from ${from.host} at ${to.host}`);
    const seqs = mine().map((n) => Number(/seq=(\d+)$/.exec(n.content)![1]));
    assert.deepEqual(seqs, [...Array(N).keys()], `${from.host} → ${to.host}: once each, in order`);
  }
});

test('a network broadcast reaches the five others', { skip, timeout: 60_000 }, async () => {
  const from = on('gamma')[1];
  const r = await from.p.call('send_message', { to: 'network', message: 'all hands' });
  assert.equal(r.structured.to.length, 5, r.text);
  for (const x of peers.filter((y) => y !== from)) await waitFor(() => x.p.notes.find((n) => n.content.includes('all hands')), 20_000, `at ${x.name}@${x.host}`);
  assert.equal(from.p.notes.some((n) => n.content.includes('all hands')), false);
});

test('one lock, three hosts racing: exactly one holder', { skip, timeout: 60_000 }, async () => {
  const racers = ['alpha', 'beta', 'gamma'].map((h) => on(h)[1]);
  const results = await Promise.all(racers.map((x) => x.p.call('acquire_lock', { name: 'shared-db-migration', ttl_seconds: 60 })));
  const winners = results.filter((r) => r.structured.granted);
  assert.equal(winners.length, 1, results.map((r) => r.text).join('\n'));
  const winner = racers[results.indexOf(winners[0])];
  for (const [i, r] of results.entries()) {
    if (r.structured.granted) continue;
    assert.match(r.text, new RegExp(`held by ${winner.name}@${winner.host}|held by ${winner.name}`), `${racers[i].host} is told who holds it`);
  }
  await winner.p.call('release_lock', { name: 'shared-db-migration' });
});

test('another network on the same server stays apart', { skip, timeout: 60_000 }, async () => {
  const lone = await fedBroker(nats, 'elsewhere', { network: 'other-team' });
  brokers.push(lone);
  await connected(lone);
  const p = await startMcpPeer(lone.home, lone.port, { cwd: tempHome('cp-w-'), env: { CLAUDE_PEERS_HOME: lone.home } });
  all.push(p);
  await waitFor(async () => (await p.call('whoami')).structured, 10_000, 'registered');
  // Give the networks every chance to mix (heartbeats are 300 ms here), then look.
  await waitFor(async () => (await networkPeers(brokers[0])).filter((q) => q.host).length === 4, 10_000, 'alpha as before');
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual((await networkPeers(lone)).filter((q) => q.host), []);
  assert.equal((await networkPeers(brokers[0])).some((q) => q.host === 'elsewhere'), false);
});
