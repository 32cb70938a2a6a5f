// `claude mcp add-json` + `claude mcp list` with the real CLI: our server is added the way
// `claude-peers setup-claude` tells users to, and Claude Code's health check connects to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Peer } from '../../src/protocol/wire.ts';
import { CLI } from '../support/processes.ts';
import { claudeEnv, mcpServerEntry, runClaude, startWorld, type World } from '../support/claude-cli.ts';

let w: World;
before(async () => { w = await startWorld(); });
after(async () => { await w?.close(); });

test('claude mcp add-json -s user, then claude mcp list shows claude-peers connected', { timeout: 60_000 }, async () => {
  const env = claudeEnv(w);
  const entry = mcpServerEntry(w);
  const add = await runClaude(['mcp', 'add-json', '-s', 'user', 'claude-peers', JSON.stringify(entry)], { env, cwd: w.cwd, timeoutMs: 30_000 });
  assert.equal(add.code, 0, `add-json failed: ${add.stdout}${add.stderr}`);
  // A server that cannot start, listed next to ours: proves the check below can fail.
  const broken = { ...entry, args: [join(w.home, 'no-such-cli.js'), 'mcp'] };
  const addBroken = await runClaude(['mcp', 'add-json', '-s', 'user', 'broken-peers', JSON.stringify(broken)], { env, cwd: w.cwd, timeoutMs: 30_000 });
  assert.equal(addBroken.code, 0, addBroken.stderr);
  // Written to the scratch HOME's user config, nowhere else.
  const cfg = JSON.parse(readFileSync(join(w.home, '.claude.json'), 'utf8'));
  assert.deepEqual(cfg.mcpServers?.['claude-peers']?.args, [CLI, 'mcp']);
  assert.equal(cfg.mcpServers['claude-peers'].env.CLAUDE_PEERS_PORT, String(w.brokerPort));

  const list = await runClaude(['mcp', 'list'], { env, cwd: w.cwd, timeoutMs: 50_000 });
  assert.equal(list.code, 0, `mcp list failed: ${list.stdout}${list.stderr}`);
  const line = (name: string) => list.stdout.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '';
  assert.match(line('claude-peers'), /dist\/cli\.js mcp - ✔ Connected/, list.stdout);
  assert.match(line('broken-peers'), /no-such-cli\.js mcp - ✘ Failed to connect/, list.stdout);
  // The health check really started our server against the test broker: it joined the network.
  const { peers } = await w.broker.client.get<{ peers: Peer[] }>('/peers?all=1');
  assert.ok(peers.some((p) => p.cwd === w.cwd), `a peer registered from ${w.cwd}: ${JSON.stringify(peers.map((p) => p.cwd))}`);
});
