// Locks, claims and resync through the real MCP server and the real hook code path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnBroker, startMcpPeer, tempHome, waitFor, type BrokerProc, type McpPeer } from '../support/processes.ts';
import { handleHook } from '../../src/hooks/run-hook.ts';

let b: BrokerProc;
let home: string;
let a: McpPeer, c: McpPeer;
const repo = tempHome('cp-repo-');

before(async () => {
  home = tempHome();
  b = await spawnBroker(home);
  a = await startMcpPeer(home, b.port, { cwd: repo });
  c = await startMcpPeer(home, b.port, { cwd: repo });
  await waitFor(async () => (await a.call('whoami')).structured && (await c.call('whoami')).structured, 3000, 'registered');
});
after(async () => { await a.close(); await c.close(); await b.kill(); });

const hook = (who: McpPeer, input: Record<string, unknown>) =>
  handleHook(String(input.hook_event_name), JSON.stringify({ cwd: repo, session_id: 's', ...input }), {
    ...process.env, CLAUDE_PEERS_HOME: home, CLAUDE_PEERS_PORT: String(b.port), CLAUDE_PID: String(who.claude.pid), CLAUDE_PEERS_CLAUDE_PID: '',
  });

test('named locks through the MCP tools: exclusive, waiting, released', async () => {
  const got = await a.call('acquire_lock', { name: 'deploy', reason: 'shipping v2', ttl_seconds: 60 });
  assert.equal(got.structured.granted, true, got.text);
  const denied = await c.call('acquire_lock', { name: 'deploy' });
  assert.equal(denied.structured.granted, false);
  assert.match(denied.text, /shipping v2/);
  const waiting = c.call('acquire_lock', { name: 'deploy', wait_seconds: 10 });
  await new Promise((r) => setTimeout(r, 300));
  assert.match((await a.call('list_locks')).text, /"deploy": held by .* waiting: /);
  await a.call('release_lock', { name: 'deploy' });
  assert.equal((await waiting).structured.granted, true, 'the waiter gets it when released');
  await c.call('release_lock', { name: 'deploy' });
});

test('the Bash hook takes the git lock for a command and tells another peer who holds it', async () => {
  const cmd = { tool_name: 'Bash', tool_input: { command: 'git commit -m wip' } };
  assert.equal((await hook(a, { hook_event_name: 'PreToolUse', ...cmd })).stdout, '', 'free: a takes it silently');
  const blocked = JSON.parse((await hook(c, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git rebase main' } })).stdout);
  assert.equal(blocked.hookSpecificOutput.permissionDecision, 'deny');
  assert.match(blocked.hookSpecificOutput.permissionDecisionReason, /held by peer .*git commit -m wip/);
  await hook(a, { hook_event_name: 'PostToolUse', ...cmd });
  assert.equal((await hook(c, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git rebase main' } })).stdout, '', 'released after the command');
  await hook(c, { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'git rebase main' } });
  assert.equal((await hook(a, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls -la' } })).stdout, '');
});

test('claims warn other peers before they edit; SessionStart after compaction resyncs', async () => {
  const r = await a.call('claim_files', { paths: ['src/auth/**'], reason: 'auth rewrite' });
  assert.equal(r.isError, false, r.text);
  const pre = JSON.parse((await hook(c, { hook_event_name: 'PreToolUse', tool_name: 'Edit', tool_input: { file_path: join(repo, 'src/auth/login.ts') } })).stdout);
  assert.match(pre.hookSpecificOutput.additionalContext, /claimed it/);
  await hook(c, { hook_event_name: 'PostToolUse', tool_name: 'Edit', tool_input: { file_path: join(repo, 'src/auth/login.ts') } });
  const { conflicts } = await b.client.get<any>('/conflicts');
  assert.deepEqual(conflicts[0].peers.map((p: any) => p.how).sort(), ['claim', 'edit'], 'a claimed file edited by another peer is a conflict');

  await a.call('acquire_lock', { name: 'npm-install:' + repo, reason: 'upgrading deps' });
  await c.call('send_message', { to: (await a.call('whoami')).structured.name, message: 'ping after compaction' });
  const digest = JSON.parse((await hook(a, { hook_event_name: 'SessionStart', source: 'compact' })).stdout).hookSpecificOutput.additionalContext;
  assert.match(digest, /other peer\(s\) around/);
  assert.match(digest, /You hold the lock "npm-install:/);
  assert.match(digest, /You claimed .*src\/auth\/\*\*/);
  assert.match(digest, /ping after compaction/);
  await a.call('release_files', {});
  assert.equal((await b.client.get<any>('/claims')).claims.length, 0);
});

test('racing for git: two MCP clients and the hook, exactly one proceeds; a killed holder frees the lock', async () => {
  const d = await startMcpPeer(home, b.port, { cwd: repo });
  try {
    const peerOf = async (p: McpPeer) => (await p.call('whoami')).structured;
    const [ida, idc, idd] = await Promise.all([peerOf(a), peerOf(c), peerOf(d)]);
    const name = `git:${(await b.client.get<{ peer: { gitRoot: string | null; cwd: string } }>(`/peers/${idd.id}`)).peer.cwd}`;
    // All three at once: the MCP tools of a and c, and d's Bash hook before a `git pull`.
    const [ra, rc, rd] = await Promise.all([
      a.call('acquire_lock', { name, reason: 'a merges' }),
      c.call('acquire_lock', { name, reason: 'c rebases' }),
      hook(d, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git pull' } }),
    ]);
    const hookProceeds = rd.stdout === '';
    const winners = [ra.structured.granted === true, rc.structured.granted === true, hookProceeds].filter(Boolean).length;
    assert.equal(winners, 1, `exactly one proceeds: a=${ra.text} | c=${rc.text} | hook=${rd.stdout}`);
    const holder = (await b.client.get<{ locks: { name: string; holder: { id: string; name: string } | null }[] }>('/locks')).locks.find((l) => l.name === name)!.holder!;
    // The losers are told who holds it.
    for (const r of [ra, rc]) if (!r.structured.granted) assert.match(r.text, new RegExp(holder.name));
    if (!hookProceeds) assert.match(JSON.parse(rd.stdout).hookSpecificOutput.permissionDecisionReason, new RegExp(holder.name));

    // Kill the holder's session: the lock frees itself (liveness sweep), no one deadlocks.
    const holderPeer = [a, c, d][[ida.id, idc.id, idd.id].indexOf(holder.id)];
    holderPeer.claude.kill('SIGKILL');
    const t0 = Date.now();
    await waitFor(async () => {
      const l = (await b.client.get<{ locks: { name: string; holder: unknown }[] }>('/locks')).locks.find((x) => x.name === name);
      return !l || !l.holder;
    }, 10_000, 'the dead holder to lose the lock');
    console.log(`# lock freed ${Date.now() - t0} ms after its holder was killed`);
    if (holderPeer === a || holderPeer === c) {
      // Restore a live peer for the tests that follow in this file.
      const again = await startMcpPeer(home, b.port, { cwd: repo });
      if (holderPeer === a) a = again; else c = again;
    }
  } finally {
    await d.close();
  }
});
