// The extension in a real VS Code (code-server) in headless Chromium, with the real Claude Code
// CLI in its integrated terminals talking to a scripted fake model: typing `claude` in a terminal
// puts the session on the network; two sessions writing the same file raise the conflict warning,
// the Explorer badge and the status bar count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inClaudeWindow } from './claude-window.ts';
import { extensionLog } from './desktop-support.ts';
import { openTerminal, typeInTerminal, waitForTerminalText } from './terminal.ts';
import { e2eSkip } from './tools.ts';
import { sleep, waitUntil } from './waits.ts';
import { explorerBadge, runCommand, screenshot } from './workbench.ts';
import { text, toolUse, lastUserText, isMainLoop, toolUsesSoFar } from '../support/fake-anthropic.ts';
import type { Conflict, Peer } from '../../src/protocol/wire.ts';

test('claude in two integrated terminals: both join, a shared file raises the warning and the Explorer badge', { skip: e2eSkip(), timeout: 240_000 }, (t) => inClaudeWindow(t, '10-extension', {
  // The fake model: "write shared.txt" → a Write tool call, then a short answer.
  model: ({ folder }) => (req) => {
    const body = req.body;
    if (!isMainLoop(body)) return [text('ok')];
    const prompt = lastUserText(body);
    const wrote = toolUsesSoFar(body).some((u) => u.name === 'Write');
    if (/write shared\.txt/.test(prompt) && !wrote) {
      return [toolUse('Write', { file_path: join(folder, 'shared.txt'), content: `written at ${Date.now()}\n` })];
    }
    return [text('Done.')];
  },
  settings: { 'claudePeers.wake.peerMessages': 'off' },
}, async ({ world, cs, page, client }) => {
  // The extension logs how long activation took (target < 300 ms to a ready broker).
  const activation = await waitUntil(() => {
    const m = /Activated in (\d+) ms: this window serves the broker .*?\((better-sqlite3|node:sqlite)\b/.exec(extensionLog(cs.userDataDir));
    return m ? { ms: Number(m[1]), driver: m[2] } : null;
  }, 20_000, 'the activation line in the Claude Peers log');
  t.diagnostic(`activation to broker ready: ${activation.ms} ms (${activation.driver})`);
  assert.equal(activation.driver, 'better-sqlite3', 'the shipped native build for this extension host loads');
  // The platform VSIX's own Node-API build, not a package's: what desktop VS Code will load too.
  assert.match((await client.get<{ db: string }>('/status')).db, /^better-sqlite3 13\.\S+ \(Node-API, shipped linux-x64 build\)/);

  const peers = async () => (await client.get<{ peers: Peer[] }>('/peers')).peers.filter((p) => p.kind === 'peer');
  const startClaude = async (n: number) => {
    await openTerminal(page);
    await typeInTerminal(page, 'claude --permission-mode acceptEdits');
    return waitUntil(async () => { const l = await peers(); return l.length >= n ? l : null; }, 60_000, `claude session ${n} to join`);
  };
  // Claude Code's prompt reads fast typing as a paste, where Enter is a newline: pause first.
  const prompt = async (line: string) => {
    await waitForTerminalText(page, 'accept edits on', 30_000);
    await typeInTerminal(page, line, { enter: false });
    await sleep(600);
    await page.keyboard.press('Enter');
  };
  const first = await startClaude(1);
  assert.match(first[0].terminalId ?? '', /^shell-pid:\d+$/, 'the shim stamped the terminal');
  assert.equal(first[0].cwd, world.folder);
  await prompt('please write shared.txt');
  await waitUntil(async () => (await peers()).some((p) => p.files.some((f) => f.path.endsWith('shared.txt'))), 60_000, 'the first Write to be recorded');

  const both = await startClaude(2);
  assert.equal(new Set(both.map((p) => p.name)).size, 2);
  // The terminal is named after its session, not after Claude Code's changing title.
  const second = both.find((p) => p.id !== first[0].id)!;
  await waitUntil(async () => ((await page.locator('.part.panel').innerText()).includes(`claude · ${second.name}`)), 20_000, `a terminal named "claude · ${second.name}"`);
  await prompt('please write shared.txt');
  const conflicts = await waitUntil(async () => {
    const c = (await client.get<{ conflicts: Conflict[] }>('/conflicts')).conflicts;
    return c.some((x) => x.path.endsWith('shared.txt')) ? c : null;
  }, 60_000, 'the conflict');
  assert.equal(conflicts[0].peers.length, 2);

  // The warning names both peers and the file.
  const [a, b] = conflicts[0].peers.map((p) => p.name);
  // A toast hides after a while: look in the notification centre, which keeps it.
  await runCommand(page, 'Notifications: Show Notifications');
  const toast = page.locator('.notification-list-item', { hasText: 'shared.txt' }).first();
  await toast.waitFor({ state: 'visible', timeout: 20_000 });
  t.diagnostic(`screenshot: ${await screenshot(page, '10-conflict-warning')}`);
  const toastText = await toast.innerText();
  assert.ok(toastText.includes(a) && toastText.includes(b), `warning names both peers: ${toastText}`);

  // The Explorer shows the badge on the file.
  await page.keyboard.press('Control+Shift+E');
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'shared.txt' }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await waitUntil(async () => (await explorerBadge(page, 'shared.txt')).includes('⚠'), 20_000, 'the conflict badge in the Explorer');
  // The status bar counts two peers and one conflict.
  const item = page.locator('[id$="claudePeers.status"]').first();
  let shown = '';
  await waitUntil(async () => /^\s*2 peers\s+1 conflict\s*$/.test(shown = await item.innerText()), 20_000, 'the status bar to show 2 peers and 1 conflict')
    .catch((e) => { throw new Error(`${(e as Error).message}; it shows ${JSON.stringify(shown)}`); });
  // Its accessible name is a sentence, not "organization 2, warning 1".
  const label = await page.locator('[id$="claudePeers.status"] [aria-label], [id$="claudePeers.status"][aria-label]').first().getAttribute('aria-label');
  assert.match(label ?? '', /^Claude Peers: 2 Claude Code sessions on the peer network, 1 file conflict\./);
  t.diagnostic(`screenshot: ${await screenshot(page, '10-conflict')}`);
}));
