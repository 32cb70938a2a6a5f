// Separate hosts for real: three network namespaces of this test's own making (one for the
// nats-server, one per broker), each broker's namespace joined to the server's by its own veth
// pair with addresses of its own. The brokers reach NATS over a veth address, never over loopback
// (each namespace has a loopback of its own, which cannot reach the server), and their MCP peers
// run in the brokers' namespaces. Then the link of one broker is cut and restored: what was sent
// meanwhile goes out when it is back. Needs root (CI runs as root); skipped loudly elsewhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { z } from 'zod';
import { CLI, fakeClaude, tempHome, waitFor, type ChannelNote } from '../support/processes.ts';
import { NATS_SERVER, natsMissing, startNats, type NatsProc } from '../support/nats.ts';
import { clone } from '../support/federation.ts';

const tag = `cpf${process.pid % 100_000}`;
const NS = { nats: `${tag}n`, a: `${tag}a`, b: `${tag}b` };
const octet = 200 + (process.pid % 50);
const NATS_ON_A = `10.${octet}.1.1`, A_ADDR = `10.${octet}.1.2`;
const NATS_ON_B = `10.${octet}.2.1`, B_ADDR = `10.${octet}.2.2`;
const VETH = { na: `${tag}na`, an: `${tag}an`, nb: `${tag}nb`, bn: `${tag}bn` };

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
const must = (...args: string[]) => {
  const r = ip(...args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
};

/** Why namespaces cannot be made here, or null (under CI=true that is a failure, not a skip). */
function netnsMissing(): string | null {
  const why = natsMissing() ?? (process.getuid?.() !== 0 ? 'not root: network namespaces need CAP_SYS_ADMIN'
    : spawnSync('ip', ['-V']).status !== 0 ? 'iproute2 (ip) is not installed'
    : (() => { const r = ip('netns', 'add', `${tag}probe`); ip('netns', 'del', `${tag}probe`); return r.status === 0 ? null : `ip netns add failed: ${r.stderr.trim()}`; })());
  if (!why) return null;
  if (process.env.CI === 'true') throw new Error(`CI=true and the network-namespace test cannot run: ${why}`);
  console.error(`\n*** SKIPPED the network-namespace federation test: ${why} ***\n`);
  return why;
}

function makeNetwork(): void {
  for (const ns of Object.values(NS)) { must('netns', 'add', ns); must('-n', ns, 'link', 'set', 'lo', 'up'); }
  for (const [here, there, ns, nsAddr, brokerNs, brokerAddr] of [
    [VETH.na, VETH.an, NS.nats, NATS_ON_A, NS.a, A_ADDR], [VETH.nb, VETH.bn, NS.nats, NATS_ON_B, NS.b, B_ADDR],
  ] as const) {
    must('link', 'add', here, 'type', 'veth', 'peer', 'name', there);
    must('link', 'set', here, 'netns', ns);
    must('link', 'set', there, 'netns', brokerNs);
    must('-n', ns, 'addr', 'add', `${nsAddr}/24`, 'dev', here);
    must('-n', brokerNs, 'addr', 'add', `${brokerAddr}/24`, 'dev', there);
    must('-n', ns, 'link', 'set', here, 'up');
    must('-n', brokerNs, 'link', 'set', there, 'up');
  }
}
function removeNetwork(): void {
  for (const ns of Object.values(NS)) ip('netns', 'del', ns);
}

const skip = netnsMissing() ?? false;
let nats: NatsProc | undefined;
const procs: ChildProcess[] = [];
const clients: Client[] = [];
process.on('exit', () => { for (const p of procs) p.kill('SIGKILL'); removeNetwork(); });

interface NsBroker { ns: string; home: string; port: number; proc: ChildProcess; stderr: () => string }

async function brokerIn(ns: string, natsAddr: string, host: string): Promise<NsBroker> {
  const home = tempHome();
  let err = '';
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, 'broker', '--port', '0'], {
    env: {
      ...process.env, CLAUDE_PEERS_HOME: home, CLAUDE_PEERS_PORT: '', CLAUDE_PEERS_FEDERATION_URL: `nats://${natsAddr}:4222`,
      CLAUDE_PEERS_FEDERATION_TOKEN: nats!.token, CLAUDE_PEERS_FEDERATION_HOST: host, CLAUDE_PEERS_FEDERATION_BEAT_MS: '300',
      CLAUDE_PEERS_FEDERATION_STALE_MS: '2000', CLAUDE_PEERS_FEDERATION_PING_MS: '500', CLAUDE_PEERS_FEDERATION_ACK_WAIT_MS: '2000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(proc);
  proc.stderr!.on('data', (c) => { err += c; });
  const disc = join(home, 'broker.json');
  const port = await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`broker exited: ${err}`);
    return existsSync(disc) ? JSON.parse(readFileSync(disc, 'utf8')).port as number : 0;
  }, 10_000, `the broker in ${ns}`);
  return { ns, home, port, proc, stderr: () => err };
}

/** `claude-peers <args>` run inside the broker's namespace (its loopback is not ours). */
function cliIn(b: NsBroker, ...args: string[]) {
  return spawnSync('ip', ['netns', 'exec', b.ns, process.execPath, CLI, ...args], {
    encoding: 'utf8', env: { ...process.env, CLAUDE_PEERS_HOME: b.home, CLAUDE_PEERS_PORT: String(b.port) }, timeout: 15_000,
  });
}
const statusOf = (b: NsBroker) => JSON.parse(cliIn(b, 'status', '--json').stdout || '{}');

const Channel = z.object({ method: z.literal('notifications/claude/channel'), params: z.object({ content: z.string(), meta: z.record(z.string()) }) });

/** A real `claude-peers mcp` inside the namespace, driven by the MCP SDK's client over stdio. */
async function peerIn(b: NsBroker, cwd: string) {
  const claude = fakeClaude();
  procs.push(claude);
  const transport = new StdioClientTransport({
    command: 'ip', args: ['netns', 'exec', b.ns, process.execPath, CLI, 'mcp'], cwd,
    env: { ...(process.env as Record<string, string>), CLAUDE_PEERS_HOME: b.home, CLAUDE_PEERS_PORT: String(b.port), CLAUDE_PEERS_CLAUDE_PID: String(claude.pid), CLAUDE_PEERS_AUTOSTART: '0', CLAUDE_PEERS_HEARTBEAT_MS: '500' },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'test-claude', version: '1.0.0' });
  const notes: ChannelNote[] = [];
  client.setNotificationHandler(Channel, (n) => { notes.push(n.params); });
  await client.connect(transport);
  clients.push(client);
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = (await client.callTool({ name, arguments: args })) as any;
    return { text: (r.content ?? []).map((c: any) => c.text).join('\n'), structured: r.structuredContent, isError: !!r.isError };
  };
  const me = await waitFor(async () => (await call('whoami')).structured, 10_000, 'registered');
  return { call, notes, me };
}

let A: NsBroker, B: NsBroker;

before(async () => {
  if (skip) return;
  removeNetwork(); // what a killed earlier run of this pid may have left
  makeNetwork();
  nats = await startNats({ netns: NS.nats, host: '0.0.0.0', port: 4222 });
  A = await brokerIn(NS.a, NATS_ON_A, 'ns-laptop');
  B = await brokerIn(NS.b, NATS_ON_B, 'ns-container');
  await waitFor(() => statusOf(A).federation?.state === 'connected' && statusOf(B).federation?.state === 'connected', 20_000, 'both brokers on the network');
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const p of procs) p.kill('SIGTERM');
  await nats?.kill();
  removeNetwork();
});

test('brokers in their own network namespaces reach nats-server over veth addresses, not loopback', { skip, timeout: 60_000 }, async () => {
  assert.ok(NATS_SERVER);
  assert.equal(statusOf(A).federation.url, `nats://${NATS_ON_A}:4222`);
  // The server is not on the brokers' loopback: only the veth path leads to it.
  const probe = (ns: string, addr: string) => spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e',
    `require('net').connect(4222, '${addr}').on('connect', () => process.exit(0)).on('error', () => process.exit(3))`], { timeout: 5000 }).status;
  assert.equal(probe(NS.a, '127.0.0.1'), 3, 'loopback in the broker\'s namespace leads nowhere');
  assert.equal(probe(NS.a, NATS_ON_A), 0);
  assert.notEqual(probe(NS.a, NATS_ON_B), 0, 'and not the other broker\'s link');
  // The server sees two clients from the two veth addresses.
  const conns = spawnSync('ip', ['netns', 'exec', NS.nats, 'ss', '-tnH', 'state', 'established', '( sport = :4222 )'], { encoding: 'utf8' }).stdout;
  assert.match(conns, new RegExp(A_ADDR.replace(/\./g, '\\.')));
  assert.match(conns, new RegExp(B_ADDR.replace(/\./g, '\\.')));
});

test('peers in the two namespaces discover and message each other; a cut link holds messages until it is back', { skip, timeout: 120_000 }, async () => {
  const repo = 'git@github.com:team/netns.git';
  const pa = await peerIn(A, clone(repo));
  const pb = await peerIn(B, clone(repo));
  const remote = await waitFor(async () => (await pa.call('list_peers', { scope: 'network' })).structured.peers.find((p: any) => p.id.endsWith(pb.me.id)), 20_000, 'pb at A');
  assert.equal(remote.host, 'ns-container');
  const sent = await pa.call('send_message', { to: 'repo', message: 'over the veth' });
  assert.equal(sent.isError, false, sent.text);
  const note = await waitFor(() => pb.notes.find((n) => n.content.includes('over the veth')), 20_000, 'the push in the other namespace');
  assert.equal(note.meta.from_host, 'ns-laptop');
  await pb.call('send_message', { to: note.meta.from_id, message: 'and back', reply_to: Number(note.meta.message_id) });
  await waitFor(() => pa.notes.find((n) => n.content.includes('and back')), 20_000, 'the reply');

  // Cut A's link (no packet, no reset: like a laptop leaving the Wi-Fi), send, restore.
  must('-n', NS.a, 'link', 'set', VETH.an, 'down');
  try {
    await waitFor(() => statusOf(A).federation?.state === 'disconnected', 20_000, 'A to notice the silent link');
    assert.match(cliIn(A, 'status').stdout, /federation: disconnected since/);
    const r = await pa.call('send_message', { to: remote.id, message: 'sent during the cut' });
    assert.equal(r.isError, false, 'accepted while the network is away');
    await waitFor(() => statusOf(A).federation?.outbox >= 1, 10_000, 'waiting in the outbox');
  } finally {
    must('-n', NS.a, 'link', 'set', VETH.an, 'up');
  }
  await waitFor(() => pb.notes.find((n) => n.content.includes('sent during the cut')), 40_000, 'delivered once the link is back');
  await waitFor(() => statusOf(A).federation?.state === 'connected' && statusOf(A).federation?.outbox === 0, 20_000, 'A connected, outbox empty');
});
