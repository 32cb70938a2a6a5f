// A broker that cannot start (issue 16, item 5): with the port taken by another program, the
// Peers panel gives the same reason and the same actions as the notification (Change Port, Retry,
// Show Log) instead of "Reconnecting…" over the empty state, and its Change Port opens the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { realpathSync } from 'node:fs';
import { startCodeServer, type CodeServer } from './code-server.ts';
import { e2eSkip } from './tools.ts';
import { freePort, waitUntil } from './waits.ts';
import { webviewFrame } from './webview.ts';
import { notificationText, openWorkbench, runCommand, screenshot, type Workbench } from './workbench.ts';
import { extensionUnderTest } from './world.ts';
import { tempHome } from '../support/processes.ts';

test('a taken port: the panel says why and offers what the notification offers', { skip: e2eSkip(), timeout: 180_000 }, async (t) => {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let squatter: Server | undefined;
  const sockets = new Set<Socket>();
  try {
    const port = await freePort();
    // Another program on the port: it accepts connections and answers nothing useful.
    squatter = createServer((sock) => { sockets.add(sock); sock.on('close', () => sockets.delete(sock)); sock.end('HTTP/1.1 418 Not a broker\r\nContent-Length: 0\r\n\r\n'); });
    await new Promise<void>((res) => squatter!.listen(port, '127.0.0.1', () => res()));
    cs = await startCodeServer({
      folder: realpathSync(tempHome('cp-e2e-ws-')),
      ...extensionUnderTest(),
      settings: { 'claudePeers.port': port },
      env: { CLAUDE_PEERS_HOME: tempHome('cp-e2e-peers-') },
    });
    wb = await openWorkbench(cs.url);
    const { page } = wb;

    // The status bar says it first; the panel then, with the notification's reason and actions.
    await page.locator('[id$="claudePeers.status"]', { hasText: 'Claude Peers' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await runCommand(page, 'Claude Peers: Open Peers Panel');
    const view = await webviewFrame(page, 'Peers', { timeoutMs: 30_000 });
    const line = view.locator('#status .statusline.tone-error[role="alert"]');
    await line.waitFor({ state: 'visible', timeout: 20_000 });
    const text = (await line.locator('.statusline-text').innerText()).trim();
    assert.match(text, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is held by a program that could not prove it is your Claude Peers broker`));
    assert.deepEqual((await line.locator('button').allInnerTexts()).map((s) => s.trim()), ['Change Port', 'Retry', 'Show Log']);
    // Retry from the panel: still blocked, so the notification comes, with the same reason and actions.
    await line.locator('button', { hasText: 'Retry' }).click();
    const toast = await notificationText(page, String(port), 30_000);
    t.diagnostic(`notification: ${toast}`);
    assert.ok(toast.includes(text), `the panel gives the notification's reason: panel "${text}", notification "${toast}"`);
    for (const action of ['Change Port', 'Retry', 'Show Log']) assert.ok(toast.includes(action), `the notification offers ${action}`);
    await runCommand(page, 'Notifications: Clear All Notifications');
    const all = await view.locator('body').innerText();
    assert.doesNotMatch(all, /Reconnecting/);
    assert.equal(await view.locator('.empty').count(), 0, 'no empty state promising that sessions join');
    t.diagnostic(`screenshot: ${await screenshot(page, '25-panel-blocked')}`);

    await line.locator('button', { hasText: 'Change Port' }).click();
    await waitUntil(async () => (await page.locator('.settings-editor').count()) > 0
      && /claudePeers\.port|Claude Peers.*Port/i.test(await page.locator('.settings-editor').innerText()), 20_000, 'the settings editor at claudePeers.port');
  } catch (e) {
    if (wb) await screenshot(wb.page, '25-panel-blocked-failure').catch(() => undefined);
    if (cs) t.diagnostic(`code-server output:\n${cs.logs().slice(-3000)}`);
    throw e;
  } finally {
    await wb?.close();
    await cs?.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((res) => (squatter ? squatter.close(() => res()) : res()));
  }
});
