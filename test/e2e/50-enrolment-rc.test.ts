// Enrolment that survives shell startup files. Claude Code's installer puts `claude` in
// ~/.local/bin and many ~/.bashrc files put that folder first on PATH, after VS Code set the
// terminal's PATH: the real claude then runs without the peer network. With shell integration
// (on by default) the extension's PATH prepend is applied again after the rc files, so the shim
// still wins; with shell integration off it cannot, and the extension says so, once, with a fix.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, REPO } from './tools.ts';
import { startCodeServer, type CodeServer } from './code-server.ts';
import { openWorkbench, screenshot, runCommand, type Workbench } from './workbench.ts';
import { openTerminal, typeInTerminal, waitForTerminalText } from './terminal.ts';
import { freePort, waitUntil } from './waits.ts';
import { extensionUnderTest, claudeTerminalWorld, servedStatus, userClient, type ClaudeTerminalWorld } from './world.ts';
import { extensionLog, notificationTexts, clickNotificationButton } from './desktop-support.ts';
import { startFakeAnthropic, text, type FakeAnthropic } from '../support/fake-anthropic.ts';
import { BrokerClient } from '../../src/client/broker-client.ts';
import type { Peer } from '../../src/protocol/wire.ts';

const WARNING = /started without the peer network/;

/** A HOME whose ~/.bashrc puts ~/.local/bin, holding the real claude, first on PATH. */
function rcPrependsLocalBin(world: ClaudeTerminalWorld): string {
  const localBin = join(world.claudeHome, '.local/bin');
  mkdirSync(localBin, { recursive: true });
  symlinkSync(join(REPO, 'node_modules/.bin/claude'), join(localBin, 'claude'));
  writeFileSync(join(world.claudeHome, '.bashrc'), '# as Claude Code\'s installer tells people to add it\nexport PATH="$HOME/.local/bin:$PATH"\n');
  return localBin;
}

interface Setup { cs: CodeServer; wb: Workbench; fake: FakeAnthropic; world: ClaudeTerminalWorld; client: BrokerClient; localBin: string }

async function setup(settings: Record<string, unknown>): Promise<Setup> {
  const world = claudeTerminalWorld();
  const localBin = rcPrependsLocalBin(world);
  const fake = await startFakeAnthropic(() => [text('ok')]);
  const port = await freePort();
  const cs = await startCodeServer({
    folder: world.folder, ...extensionUnderTest(),
    settings: { ...world.settings(), 'claudePeers.port': port, 'claudePeers.wake.peerMessages': 'off', ...settings },
    env: world.env(fake.url),
  });
  const wb = await openWorkbench(cs.url);
  await waitUntil(() => servedStatus(world.brokerHome, port, 500), 60_000, 'the extension to start the broker');
  const client = userClient(world.brokerHome, port);
  return { cs, wb, fake, world, client, localBin };
}

async function teardown(s: Partial<Setup>, t: TestContext, name: string, failed: unknown): Promise<void> {
  if (failed && s.wb) await screenshot(s.wb.page, `${name}-failure`).catch(() => undefined);
  if (failed && s.cs) t.diagnostic(`code-server output:\n${s.cs.logs().slice(-3000)}\n--- Claude Peers log ---\n${extensionLog(s.cs.userDataDir).slice(-3000)}`);
  await s.wb?.close();
  await s.cs?.stop();
  await s.fake?.close();
}

test('a ~/.bashrc that puts ~/.local/bin (holding the real claude) first: with shell integration, claude in a terminal still joins', { skip: e2eSkip(), timeout: 240_000 }, async (t) => {
  let s: Partial<Setup> = {};
  let failed: unknown;
  try {
    s = await setup({ 'terminal.integrated.shellIntegration.enabled': true });
    const { wb, cs, client } = s as Setup;
    await openTerminal(wb.page);
    // The rc file ran (its folder is on PATH), yet the shim comes first.
    await typeInTerminal(wb.page, 'echo "PATH=$PATH"; command -v claude');
    const screen = await waitForTerminalText(wb.page, /^\/\S+\/claude\s*$/m, 20_000);
    assert.ok(screen.includes(s.localBin!), `the rc file put ${s.localBin} on PATH:\n${screen}`);
    assert.match(screen, /globalStorage\/claude-peers\.claude-peers\/bin\/claude\s*$/m, 'command -v claude finds the shim');
    await typeInTerminal(wb.page, 'claude --permission-mode acceptEdits');
    const peer = await waitUntil(async () => (await client.get<{ peers: Peer[] }>('/peers')).peers.find((p) => p.kind === 'peer'), 60_000, 'the terminal\'s claude to join');
    assert.match(peer.terminalId ?? '', /^shell-pid:\d+$/, 'started by the shim');
    await waitUntil(() => /\[enrolment\] claude .* joined the peer network/.test(extensionLog(cs.userDataDir)), 30_000, 'the extension to see the session join');
    assert.ok(!(await notificationTexts(wb.page)).some((n) => WARNING.test(n)), 'no enrolment warning');
    t.diagnostic(`screenshot: ${await screenshot(wb.page, '50-rc-shell-integration')}`);
  } catch (e) {
    failed = e;
    throw e;
  } finally {
    await teardown(s, t, '50-rc-shell-integration', failed);
  }
});

test('the same ~/.bashrc with shell integration off: the extension warns once that claude started without the peer network, with a fix', { skip: e2eSkip(), timeout: 240_000 }, async (t) => {
  let s: Partial<Setup> = {};
  let failed: unknown;
  try {
    s = await setup({ 'terminal.integrated.shellIntegration.enabled': false });
    const { wb, cs, client } = s as Setup;
    const { page } = wb;
    await openTerminal(page);
    // The control: without shell integration the rc file's claude wins.
    await typeInTerminal(page, 'command -v claude');
    await waitForTerminalText(page, new RegExp(`^${s.localBin!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/claude\\s*$`, 'm'), 20_000);
    await typeInTerminal(page, 'claude --permission-mode acceptEdits');
    await waitForTerminalText(page, 'accept edits on', 60_000);
    const warning = await waitUntil(async () => (await notificationTexts(page)).find((n) => WARNING.test(n)), 60_000, 'the enrolment warning');
    t.diagnostic(`the warning: ${warning}`);
    assert.match(warning, /shell integration/, 'it names the cause');
    assert.match(warning, /Copy Setup/, 'it offers the setup command');
    // The broker still lists it from its session file, as a native session (no tools, no hooks).
    const listed = (await client.get<{ peers: Peer[] }>('/peers')).peers;
    assert.deepEqual(listed.map((p) => p.kind), ['native'], 'the session is indeed not on the network, only seen by its session file');
    t.diagnostic(`screenshot: ${await screenshot(page, '50-rc-no-shell-integration')}`);

    // A second claude in another terminal: noticed and logged, not warned about again.
    await openTerminal(page);
    await typeInTerminal(page, 'claude --permission-mode acceptEdits');
    await waitUntil(() => /started without the peer network .*the warning was shown once already/.test(extensionLog(cs.userDataDir)), 60_000, 'the second session to be noticed');
    await runCommand(page, 'Notifications: Show Notifications');
    await waitUntil(async () => (await notificationTexts(page)).length > 0, 10_000, 'the notification centre');
    assert.equal((await notificationTexts(page)).filter((n) => WARNING.test(n)).length, 1, 'warned once');

    // The fix: Copy Setup shows what it copies and writes, in a dialog that stays; nothing is
    // written before the click. Then the plugin is in the broker home and its commands on the clipboard.
    const pluginDir = join(s.world!.brokerHome, 'claude-code-plugin');
    await clickNotificationButton(page, WARNING, 'Copy Setup');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    const preview = (await dialog.innerText()).replace(/\s+/g, ' ');
    t.diagnostic(`the dialog: ${preview}`);
    assert.ok(preview.includes(`claude plugin marketplace add ${pluginDir}`), preview);
    assert.ok(!existsSync(pluginDir), 'nothing written before the click');
    await dialog.locator('.monaco-button', { hasText: 'Copy Commands' }).click();
    const clip = await waitUntil(async () => {
      const c = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
      return c.includes('claude plugin install') ? c : '';
    }, 10_000, 'the setup commands on the clipboard');
    assert.equal(clip, `claude plugin marketplace add ${pluginDir}\nclaude plugin install claude-peers@claude-peers\n`);
    assert.ok(existsSync(join(pluginDir, 'claude-peers/bin/claude-peers')), 'the plugin written into the broker home');
    assert.match(readFileSync(join(s.world!.brokerHome, 'runtime.env'), 'utf8'), /^node=.*\ncli=.*dist\/cli\.js\n/, 'runtime.env names the extension\'s bundles');
  } catch (e) {
    failed = e;
    throw e;
  } finally {
    await teardown(s, t, '50-rc-no-shell-integration', failed);
  }
});
