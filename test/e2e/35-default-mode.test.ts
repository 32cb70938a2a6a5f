// A real `claude` in Claude Code's default permission mode (the one most people use) in a
// code-server terminal: a message the human writes in the Peers panel reaches the idle session,
// which answers with our send_message and never stops at "Do you want to proceed?"; then a Bash
// command does stop at Claude Code's prompt, and the panel's card and the status bar say the
// session is waiting for you until it is answered. Nothing is written into the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inClaudeWindow } from './claude-window.ts';
import { openTerminal, terminalText, typeInTerminal, waitForTerminalText } from './terminal.ts';
import { e2eSkip } from './tools.ts';
import { sleep, waitUntil } from './waits.ts';
import { webviewFrame } from './webview.ts';
import { runCommand, screenshot } from './workbench.ts';
import { text, toolUse, callMcp, calledTools, isMainLoop, requestText } from '../support/fake-anthropic.ts';
import { HUMAN_ID } from '../../src/protocol/constants.ts';
import type { Message, Peer } from '../../src/protocol/wire.ts';

const QUESTION = 'PANEL-QUESTION: which port do you use?';
const ANSWER = 'ANSWER-FROM-CLAUDE: 7899';

test('default permission mode: a panel message is answered with no prompt; a Bash prompt shows "waiting for you"', { skip: e2eSkip(), timeout: 240_000 }, (t) => inClaudeWindow(t, '35-default-mode', {
  model: () => (req) => {
    const body = req.body;
    if (!isMainLoop(body)) return [text('ok')];
    const all = requestText(body);
    const called = calledTools(body);
    // Turn 1, started by the panel's message: answer the human through our tool, then stop.
    if (all.includes(QUESTION) && !called.includes('mcp__claude-peers__send_message')) {
      return [callMcp(body, 'send_message', { to: 'human', message: ANSWER })];
    }
    // Turn 2, typed by the user: a command that Claude Code asks about in default mode.
    if (all.includes('please make the file') && !called.includes('Bash')) {
      return [toolUse('Bash', { command: 'touch approved.txt', description: 'make a file' })];
    }
    return [text(called.includes('Bash') ? 'FILE MADE' : 'REPLIED')];
  },
  settings: { 'claudePeers.wake.peerMessages': 'off' },
}, async ({ world, page, client }) => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  const ours = async () => (await client.get<{ peers: Peer[] }>('/peers')).peers.find((p) => p.kind === 'peer') ?? null;
  await openTerminal(page);
  // Claude Code's "default" mode by name (2.1.328 starts new users in auto mode, which asks a model instead).
  await typeInTerminal(page, 'claude --permission-mode default');
  const peer = await waitUntil(ours, 60_000, 'the session to join');
  await waitForTerminalText(page, /\n❯/, 30_000);

  // The human writes to it from the panel.
  await runCommand(page, 'Claude Peers: Open Peers Panel');
  const view = await webviewFrame(page, 'Peers', { timeoutMs: 30_000 });
  await waitUntil(async () => !(await view.locator(`select#to option[value="${peer.id}"]`).isDisabled().catch(() => true)), 20_000, 'the session in the recipient list');
  await view.locator('select#to').selectOption(peer.id);
  await view.locator('textarea#body').fill(QUESTION);
  await view.locator('textarea#body').press('Enter');

  // The answer comes back through our tool, and no prompt was ever shown for it.
  const answer = await waitUntil(async () => (await client.get<{ messages: Message[] }>('/messages?limit=100')).messages
    .find((m) => m.toId === HUMAN_ID && m.body.includes(ANSWER)), 60_000, 'the answer to the human')
    .catch(async (e) => { throw new Error(`${(e as Error).message}\n--- terminal ---\n${await terminalText(page)}`); });
  assert.equal(answer.fromId, peer.id);
  const afterReply = await waitForTerminalText(page, 'REPLIED', 30_000);
  assert.doesNotMatch(afterReply, /Do you want to proceed\?/, 'our tool ran without a permission prompt');
  await waitUntil(async () => (await view.locator('body').innerText()).includes(ANSWER), 20_000, 'the answer in the panel');
  t.diagnostic(`screenshot: ${await screenshot(page, '35-answered')}`);

  // Something else does need the user: the card and the status bar say so.
  await typeInTerminal(page, 'please make the file', { enter: false });
  await sleep(600); // Claude Code reads fast typing as a paste, where Enter is a newline.
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, /Do you want to proceed\?/, 30_000);
  const card = view.locator(`article.card[data-peer="${peer.id}"]`);
  await waitUntil(async () => (await card.locator('.waiting').innerText().catch(() => '')).includes('Waiting for you'), 20_000, 'the card to say "Waiting for you"')
    .catch(async (e) => { throw new Error(`${(e as Error).message}; the card shows: ${await card.innerText().catch(() => '(none)')}`); });
  const bell = page.locator('[id$="claudePeers.waiting"]').first();
  await waitUntil(async () => (await bell.innerText().catch(() => '')).includes(`${peer.name} waits for you`), 10_000, 'the status bar to name the waiting session');
  t.diagnostic(`screenshot: ${await screenshot(page, '35-waiting')}`);

  // Answered in the terminal ("1. Yes"): the session goes on and stops waiting.
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'FILE MADE', 30_000);
  await waitUntil(async () => (await ours())?.status !== 'waiting', 15_000, 'the session no longer waiting');
  await waitUntil(async () => (await card.locator('.waiting').count()) === 0, 15_000, 'the card no longer waiting');
  assert.ok(existsSync(join(world.folder, 'approved.txt')), 'the approved command ran');

  // Nothing of ours in the repository: no .claude/settings.local.json from a "don't ask again".
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: world.folder, encoding: 'utf8' }).stdout;
  assert.deepEqual(status.split('\n').filter(Boolean), ['?? approved.txt'], `git status: ${status}`);
}));
