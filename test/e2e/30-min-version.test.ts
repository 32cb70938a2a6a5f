// The oldest VS Code the extension runs in here: code-server 4.103.2 (VS Code 1.103.2) on Node
// 22.15.1, the Node of VS Code 1.101 (the oldest "engines.vscode: ^1.101.0" accepts; no code-server
// 4.101/4.102 exists). The packaged linux-x64 VSIX installs, the window serves the broker on the
// shipped better-sqlite3 13 Node-API build, a real `claude` typed into a terminal joins, and the
// Peers panel shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync, realpathSync } from 'node:fs';
import { e2eSkip } from './tools.ts';
import { inClaudeWindow } from './claude-window.ts';
import { screenshot, runCommand } from './workbench.ts';
import { openTerminal, typeInTerminal } from './terminal.ts';
import { waitUntil } from './waits.ts';
import { webviewFrame } from './webview.ts';
import { builtVsix } from './world.ts';
import { toolset } from './toolsets.ts';
import { extensionLog, cmdlineOf } from './desktop-support.ts';
import { text } from '../support/fake-anthropic.ts';
import type { Peer } from '../../src/protocol/wire.ts';

const MIN = toolset('min');

test(`${MIN.label}: the packaged VSIX installs, serves the broker on the shipped better-sqlite3 13, a terminal's claude joins and the panel shows it`, { skip: e2eSkip('min'), timeout: 240_000 }, (t) => {
  const vsix = builtVsix();
  if (!vsix || !vsix.includes('linux-x64')) throw new Error('no linux-x64 VSIX in the repo root: run `node scripts/package.mjs --only linux-x64` (node scripts/test.mjs e2e does)');
  return inClaudeWindow(t, '30-min-version', {
    model: () => () => [text('ok')],
    codeServer: { toolset: 'min', vsixPath: vsix },
    // The terminal runs on this toolset's Node too (the world's default is the newest's).
    terminalPath: (world) => `${MIN.nodeBin}:${world.binDir}`,
    settings: { 'claudePeers.wake.peerMessages': 'off' },
  }, async ({ world, cs, page, client, status: health }) => {
    t.diagnostic(`broker in ${cmdlineOf(health.pid).slice(0, 160)}`);
    assert.match(cmdlineOf(health.pid), /--type=extensionHost/, 'served from the extension host');
    assert.equal(readlinkSync(`/proc/${health.pid}/exe`), realpathSync(MIN.node), `on this toolset's Node ${MIN.nodeVersion}`);
    // The log names the driver: the VSIX's own Node-API build, as desktop VS Code 1.101+ loads it.
    const line = await waitUntil(() => /Activated in \d+ ms: this window serves the broker on 127\.0\.0\.1:\d+ \((.*)\)\./.exec(extensionLog(cs!.userDataDir))?.[1], 20_000, 'the activation line in the Claude Peers log');
    t.diagnostic(`driver: ${line}`);
    assert.match(line, /^better-sqlite3 13\.\d+\.\d+ \(Node-API, shipped linux-x64 build\)$/);
    assert.match(health.db, /^better-sqlite3 13\.\S+ \(Node-API, shipped linux-x64 build\)/);

    await openTerminal(page);
    await typeInTerminal(page, 'claude --permission-mode acceptEdits');
    const peer = await waitUntil(async () => (await client.get<{ peers: Peer[] }>('/peers')).peers.find((p) => p.kind === 'peer'), 90_000, 'the terminal\'s claude to join');
    assert.match(peer.terminalId ?? '', /^shell-pid:\d+$/, 'started by the shim');
    assert.equal(peer.cwd, world.folder);

    await runCommand(page, 'Claude Peers: Open Peers Panel');
    const view = await webviewFrame(page, 'Peers', { timeoutMs: 30_000 });
    await waitUntil(async () => (await view.locator('body').innerText()).includes(peer.name), 30_000, `the panel to show ${peer.name}`, 250);
    t.diagnostic(`screenshot: ${await screenshot(page, '30-min-version')}`);
  });
});
