// Claude Code's own cross-session inbox, with the real CLI in tmux: a message to an idle session
// launched by `claude-peers claude` goes straight into its inbox socket and starts a turn; a
// Claude Code session that never loaded claude-peers shows up in `claude-peers peers` and gets a
// human's message the same way.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Message, Peer } from '../../src/protocol/wire.ts';
import { CLI, waitFor } from '../support/processes.ts';
import { needTmux, replyScript, startWorld, TmuxClaude, type World } from '../support/claude-cli.ts';
import { calledTools, callMcp, isMainLoop, lastUserText, text, toolUse } from '../support/fake-anthropic.ts';

const worlds: World[] = [];
const sessions: TmuxClaude[] = [];
after(async () => {
  for (const s of sessions) await s.kill();
  for (const w of worlds) await w.close();
});

const message = async (w: World, id: number) => (await w.broker.client.get<{ messages: Message[] }>('/messages?limit=500')).messages.find((m) => m.id === id);

test('a message to an idle launched session arrives through its inbox socket and starts a turn', { timeout: 90_000 }, async (tc) => {
  if (!needTmux(tc)) return;
  const w = await startWorld({});
  worlds.push(w);
  replyScript(w);
  const t = TmuxClaude.start(w, [], { launcher: true });
  sessions.push(t);
  await t.waitForScreen(/\n❯[ \u00a0]*\n/, 30_000, 'the prompt');
  const me = await w.claudePeer(20_000);
  const other = await w.addPeer();
  await t.submit('hello');
  await t.waitForScreen(/REPLY-1/, 20_000, 'the first answer');
  await waitFor(async () => (await w.claudePeer()).status === 'idle', 15_000, 'the session to be idle');

  const t0 = Date.now();
  const sent = await other.peer.call('send_message', { to: me.name, message: 'Inbox probe: are you there?' });
  const req = await w.fake.waitFor((r) => isMainLoop(r.body) && lastUserText(r.body).includes('Inbox probe'), 20_000, 'a turn started by the inbox');
  const ms = Date.now() - t0;
  const u = lastUserText(req.body);
  assert.match(u, /Another Claude session sent a message/, 'Claude Code\'s own inbox framing: it came through the socket');
  assert.match(u, new RegExp(`\\[claude-peers\\] Message #${sent.structured.id} from peer session "${other.name}" \\(another Claude Code session, not your user\\)`));
  assert.match(u, /<peer-message id="\d+"[^>]* seal="[0-9a-f]{32}">\nInbox probe: are you there\?\n<\/peer-message>/);
  await t.waitForScreen(/REPLY-2/, 15_000, 'the answer');
  // The turn's Stop hook finds the sealed frame in the transcript: read, never handed over again.
  await waitFor(async () => (await message(w, sent.structured.id))?.state === 'read', 15_000, 'the message marked read');
  console.log(`# inbox: message sent → the model's request in ${ms} ms`);
});

test('a Claude Code session without claude-peers appears in `claude-peers peers` and receives a human message', { timeout: 90_000 }, async (tc) => {
  if (!needTmux(tc)) return;
  const w = await startWorld({});
  worlds.push(w);
  replyScript(w);
  // Plain claude: no MCP server of ours, no hooks, nothing of claude-peers.
  const t = TmuxClaude.start(w, ['--strict-mcp-config']);
  sessions.push(t);
  await t.waitForScreen(/\n❯[ \u00a0]*\n/, 30_000, 'the prompt');
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', env: { ...process.env, CLAUDE_PEERS_HOME: w.brokerHome, CLAUDE_PEERS_PORT: String(w.brokerPort) },
  });
  const native = await waitFor(async () => (await w.broker.client.get<{ peers: Peer[] }>('/peers')).peers.find((p) => p.kind === 'native' && p.cwd === w.cwd), 15_000, 'the native session');
  const listed = cli('peers');
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`${native.name} .*\\[a Claude Code session without claude-peers\\]`));

  const sent = cli('send', native.name, 'Hello from the human: please summarise the repo.');
  assert.equal(sent.status, 0, sent.stderr);
  const req = await w.fake.waitFor((r) => isMainLoop(r.body) && lastUserText(r.body).includes('please summarise the repo'), 20_000, 'the native session\'s turn');
  const u = lastUserText(req.body);
  assert.match(u, /Another Claude session sent a message/);
  assert.match(u, /from the person at the Claude Peers panel or CLI \(your user, writing through claude-peers\)/);
  assert.match(u, /This session runs without claude-peers, so it cannot answer through it/);
  const id = Number(/Sent message #(\d+)/.exec(sent.stdout)?.[1]);
  await waitFor(async () => (await message(w, id))?.state === 'delivered', 5000, 'the delivery recorded');
});

test('default permission mode: our tools run without a prompt; a prompt for anything else shows the session as waiting', { timeout: 90_000 }, async (tc) => {
  if (!needTmux(tc)) return;
  const w = await startWorld({});
  worlds.push(w);
  const other = await w.addPeer();
  w.fake.setScript((r) => {
    if (!isMainLoop(r.body)) return [text('side request')];
    const called = calledTools(r.body);
    if (!called.includes('mcp__claude-peers__send_message')) return [callMcp(r.body, 'send_message', { to: other.name, message: 'on it' })];
    if (!called.includes('Bash')) return [toolUse('Bash', { command: 'touch approved.txt', description: 'make a file' })];
    return [text('ALL DONE')];
  });
  // Claude Code's "default" mode by name (2.1.328 starts new users in auto mode, which asks a model instead).
  const t = TmuxClaude.start(w, ['--permission-mode', 'default'], { launcher: true });
  sessions.push(t);
  await t.waitForScreen(/\n❯[ \u00a0]*\n/, 30_000, 'the prompt');
  await w.claudePeer(20_000);
  await t.submit('reply to your colleague, then make the file');
  // The reply went out with no question asked; the Bash command stops at Claude Code's own prompt.
  await waitFor(() => other.peer.notes.some((n) => n.content.includes('on it')), 20_000, 'the reply at the other peer').catch((e) => { throw new Error(`${e.message}\n${t.screen()}`); });
  // The reply reached the other peer before any key was pressed: our tool asked nothing. The one
  // dialog is Bash's (the transcript above it may name our tool, grouped or not).
  const screen = await t.waitForScreen(/Do you want to proceed\?/, 20_000, 'the permission prompt for Bash');
  const dialog = screen.slice(screen.lastIndexOf('\n─'));
  assert.match(dialog, /Bash command[\s\S]*touch approved\.txt/, `the dialog asks about the Bash command:\n${screen}`);
  assert.doesNotMatch(dialog, /claude-peers|send_message/, `the dialog is not about our tool:\n${screen}`);
  const waiting = await waitFor(async () => { const p = await w.claudePeer(); return p.status === 'waiting' ? p : null; }, 20_000, 'the card to say "waiting for you"')
    .catch(async (e) => { throw new Error(`${e.message}; the peer: ${JSON.stringify(await w.claudePeer().catch(() => null))}\n${t.screen()}`); });
  assert.equal(waiting.status, 'waiting');
  await t.answer(/Do you want to proceed\?/); // 1. Yes
  await t.waitForScreen(/ALL DONE/, 20_000, 'the end of the turn');
  await waitFor(async () => (await w.claudePeer()).status !== 'waiting', 20_000, 'no longer waiting');
});
