// The asyncRewake waiter: an idle session is woken (exit 2 + messages on stderr) when a message
// arrives, and stands down when the session gets busy or a newer waiter replaces it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnBroker, startMcpPeer, tempHome, waitFor, type BrokerProc, type McpPeer } from '../support/processes.ts';
import { handleHook, markRead, waitForWake } from '../../src/hooks/run-hook.ts';

let b: BrokerProc, home: string, idle: McpPeer, other: McpPeer, idleName: string;
before(async () => {
  home = tempHome();
  b = await spawnBroker(home);
  idle = await startMcpPeer(home, b.port);
  other = await startMcpPeer(home, b.port);
  idleName = (await waitFor(async () => (await idle.call('whoami')).structured, 3000, 'registered')).name;
});
after(async () => { await idle.close(); await other.close(); await b.kill(); });

const env = () => ({ ...process.env, CLAUDE_PEERS_HOME: home, CLAUDE_PEERS_PORT: String(b.port), CLAUDE_PID: String(idle.claude.pid), CLAUDE_PEERS_CLAUDE_PID: '' });
const opts = { maxMs: 10_000, pollMs: 2000, graceMs: 100 };

test('a message wakes the idle session with the framed message', async () => {
  const waiting = waitForWake('{}', env(), opts);
  await new Promise((r) => setTimeout(r, 200));
  const t0 = Date.now();
  await other.call('send_message', { to: idleName, message: 'are you free to review?' });
  const out = await waiting;
  assert.equal(out.exitCode, 2);
  assert.match(out.stderr, /<peer-message id="\d+" from="[a-z-]+"/);
  assert.match(out.stderr, /are you free to review\?/);
  assert.ok(Date.now() - t0 < 1000, 'woken at once');
  await markRead(out); // what the waiter process does once stderr is written
  assert.equal((await idle.call('check_messages')).structured.messages.length, 0, 'handed over = read');
});

test('the waiter stands down when the session gets busy or a newer waiter starts', async () => {
  const first = waitForWake('{}', env(), opts);
  await new Promise((r) => setTimeout(r, 200));
  const second = waitForWake('{}', env(), opts);
  assert.equal((await first).exitCode, 0, 'superseded');
  await new Promise((r) => setTimeout(r, 100));
  await handleHook('UserPromptSubmit', JSON.stringify({ hook_event_name: 'UserPromptSubmit', prompt: 'next task', cwd: process.cwd() }), env());
  assert.equal((await second).exitCode, 0, 'busy');
});

test('unread messages at Stop time wake at once', async () => {
  await other.call('send_message', { to: idleName, message: 'already waiting' });
  const out = await waitForWake('{}', env(), opts);
  assert.equal(out.exitCode, 2);
  assert.match(out.stderr, /already waiting/);
});
