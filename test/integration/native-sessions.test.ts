// Claude Code sessions the broker finds by their session files: a plain one is listed as a
// native peer; one our launcher started (its environment holds a session key) is not, while it is
// about to register itself; once it registers it is one enrolled peer, never two.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Peer } from '../../src/protocol/wire.ts';
import { registerSession, spawnBroker, tempHome, waitFor } from '../support/processes.ts';

const procs: ChildProcess[] = [];
after(() => { for (const p of procs) p.kill('SIGKILL'); });
const sleeper = (env: NodeJS.ProcessEnv = {}) => {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore', env: { ...process.env, ...env } });
  procs.push(p);
  return p;
};

test('a plain session is a native peer; a launched one is not, and registers as one peer', { skip: process.platform !== 'linux' && 'reads /proc', timeout: 30_000 }, async () => {
  const claudeHome = join(tempHome(), '.claude');
  mkdirSync(join(claudeHome, 'sessions'), { recursive: true });
  const cwd = tempHome();
  const plain = sleeper();
  const key = 'a'.repeat(64);
  const launched = sleeper({ CLAUDE_PEERS_SESSION_KEY: key });
  for (const [p, name] of [[plain, 'plain'], [launched, 'launched']] as const) {
    writeFileSync(join(claudeHome, 'sessions', `${p.pid}.json`), JSON.stringify({ pid: p.pid, sessionId: `s-${name}`, cwd, name, status: 'idle' }));
  }
  const b = await spawnBroker(tempHome(), { env: { CLAUDE_PEERS_CLAUDE_HOMES: claudeHome, CLAUDE_PEERS_SWEEP_MS: '200' } });
  try {
    const peers = async () => (await b.client.get<{ peers: Peer[] }>('/peers')).peers;
    const native = await waitFor(async () => (await peers()).find((p) => p.pid === plain.pid), 10_000, 'the plain session to be listed');
    assert.equal(native.kind, 'native');
    // The scan that listed it read the launched one's file too, and left it out.
    assert.equal((await peers()).find((p) => p.pid === launched.pid), undefined, 'a launched session is not native while it registers');
    // It registers (as its MCP server does, with the key from its environment): one enrolled peer.
    await registerSession(b, { pid: launched.pid!, cwd, key });
    const mine = (await peers()).filter((p) => p.pid === launched.pid);
    assert.deepEqual(mine.map((p) => p.kind), ['peer']);
  } finally {
    await b.kill();
  }
});
