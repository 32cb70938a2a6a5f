// The plugin layout in code-server: joining the network switched off for terminals, the user runs
// "Claude Peers: Copy Setup for Other Terminals", pastes the two commands into a terminal, and a
// plain `claude` (default permission mode) started there joins through the plugin, whose launcher
// runs the Node and bundles the extension wrote into runtime.env. The panel shows the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip } from './tools.ts';
import { inClaudeWindow } from './claude-window.ts';
import { screenshot, runCommand } from './workbench.ts';
import { openTerminal, typeInTerminal, waitForTerminalText } from './terminal.ts';
import { waitUntil } from './waits.ts';
import { webviewFrame } from './webview.ts';
import { toolset } from './toolsets.ts';
import { text } from '../support/fake-anthropic.ts';
import type { Peer } from '../../src/protocol/wire.ts';

test('Copy Setup, pasted into a terminal: a plain claude joins through the plugin and the panel shows it', { skip: e2eSkip(), timeout: 240_000 }, (t) => inClaudeWindow(t, '55-plugin', {
  model: () => () => [text('ok')],
  settings: { 'claudePeers.terminals.joinPeerNetwork': false, 'claudePeers.wake.peerMessages': 'off' },
}, async ({ world, page, port, client }) => {
  // What the extension wrote for the plugin's launcher: its Node, its bundles, its port.
  const runtime = readFileSync(join(world.brokerHome, 'runtime.env'), 'utf8');
  assert.ok(runtime.includes(`node=${toolset().node}\n`), `code-server's Node runs the bundles:\n${runtime}`);
  assert.match(runtime, /^cli=.*\/dist\/cli\.js$/m);
  assert.match(runtime, new RegExp(`^env CLAUDE_PEERS_PORT=${port}$`, 'm'));

  await runCommand(page, 'Claude Peers: Copy Setup for Other Terminals');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 20_000 });
  await dialog.locator('.monaco-button', { hasText: 'Copy Commands' }).click();
  const clip = await waitUntil(async () => {
    const c = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
    return c.includes('claude plugin install') ? c : '';
  }, 10_000, 'the setup commands on the clipboard');

  await openTerminal(page);
  await typeInTerminal(page, 'command -v claude');
  await waitForTerminalText(page, /cp-e2e-bin-\w+\/claude\s*$/m, 20_000); // the real claude: no shim
  // One at a time: what is typed while a command runs is partly lost to it.
  const [addLine, installLine, ...rest] = clip.trim().split('\n');
  assert.equal(rest.length, 0, clip);
  await typeInTerminal(page, addLine!);
  await waitForTerminalText(page, /Added marketplace: claude-peers/, 60_000);
  await typeInTerminal(page, installLine!);
  await waitForTerminalText(page, /Installed plugin: claude-peers@claude-peers/i, 60_000);
  await typeInTerminal(page, 'clear; claude');
  const peer = await waitUntil(async () => (await client.get<{ peers: Peer[] }>('/peers')).peers.find((p) => p.kind === 'peer'), 90_000, 'the plugin\'s session to join');
  assert.equal(peer.cwd, world.folder);
  assert.equal(peer.terminalId ?? null, null, 'not started by the shim');

  await runCommand(page, 'Claude Peers: Open Peers Panel');
  const view = await webviewFrame(page, 'Peers', { timeoutMs: 30_000 });
  await waitUntil(async () => (await view.locator('body').innerText()).includes(peer.name), 30_000, `the panel to show ${peer.name}`, 250);
  t.diagnostic(`screenshot: ${await screenshot(page, '55-plugin')}`);
}));
