// The human in the loop, as a user meets it (issue 16), in a real VS Code (code-server) with real
// MCP peers: Send stays off without a recipient and never falls back to a broadcast, also after
// reloads and when the chosen peer ends; a broadcast is confirmed first; every send says where it
// went (panel and command palette); the newest message stays in view unless the human scrolled
// up; what the panel showed is marked read, "Mark all read" does the rest; the reply count opens
// the thread; the keyboard reaches the composer at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { e2eSkip } from './tools.ts';
import { waitUntil } from './waits.ts';
import { webviewFrame } from './webview.ts';
import { clearNotifications, notificationText, runCommand, screenshot } from './workbench.ts';
import { inPeersWindow } from './peers-window.ts';
import { extensionLog } from './desktop-support.ts';
import type { McpPeer } from '../support/processes.ts';
import type { Message, Peer } from '../../src/protocol/wire.ts';

async function openPanel(page: Page): Promise<Frame> {
  await runCommand(page, 'Claude Peers: Open Peers Panel');
  return webviewFrame(page, 'Peers', { timeoutMs: 30_000 });
}

/** Whether the stream row of message `id` lies inside the stream's visible area. */
function rowInView(view: Frame, id: number): Promise<boolean> {
  return view.evaluate((i) => {
    const row = document.getElementById(`msg-${i}`);
    const box = document.getElementById('stream-scroll')!.getBoundingClientRect();
    if (!row) return false;
    const r = row.getBoundingClientRect();
    return r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  }, id);
}

const selectedText = (view: Frame) => view.locator('select#to').evaluate((s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent ?? '');
const activeId = (view: Frame) => view.evaluate(() => document.activeElement?.id ?? '');

test('the human in the loop: recipients, confirmations, keep in view, read state, threads, keyboard', { skip: e2eSkip(), timeout: 300_000 }, (t) => inPeersWindow(t, '30-panel-human', {
  settings: { 'claudePeers.wake.peerMessages': 'off', 'claudePeers.wake.humanMessages': 'off' },
}, async ({ cs, page, client, addPeer }) => {
  const t0 = Date.now();
  const lap = (what: string) => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const allPeers = async () => (await client.get<{ peers: Peer[] }>('/peers?all=1')).peers;
  const messages = async () => (await client.get<{ messages: Message[] }>('/messages?limit=500')).messages;
  // A peer sends as itself only (its own session): through its MCP server's send_message tool.
  const sessionOf = new Map<string, McpPeer>();
  const sendAs = async (from: Peer, to: string, body: string, replyTo?: number) => {
    const r = await sessionOf.get(from.id)!.call('send_message', { to, message: body, ...(replyTo ? { reply_to: replyTo } : {}) });
    assert.equal(r.isError, false, r.text);
    return waitUntil(async () => (await messages()).find((m) => m.id === r.structured.id), 5000, 'the sent message');
  };

  // ---- no peer yet: Send is off and says why; nothing can go to "everyone"
  let view = await openPanel(page);
  const send = view.locator('button#send');
  await view.locator('.empty').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await send.isDisabled(), true, 'no recipient, no Send');
  assert.match(await view.locator('#send-hint').innerText(), /No session to write to yet/);
  assert.equal(await view.locator('select#to option[value="machine"]').isDisabled(), true, 'an empty machine cannot be written to');
  lap('empty panel');

  // ---- two peers; the focus command lands on the recipient while none is chosen
  const a = await addPeer();
  const b = await addPeer();
  const nameA = (await a.call('whoami')).structured.name as string;
  const nameB = (await b.call('whoami')).structured.name as string;
  const [peerA, peerB] = await waitUntil(async () => {
    const l = await allPeers();
    const pa = l.find((p) => p.name === nameA), pb = l.find((p) => p.name === nameB);
    return pa && pb ? [pa, pb] as const : null;
  }, 15_000, 'both peers registered');
  sessionOf.set(peerA.id, a).set(peerB.id, b);
  await waitUntil(async () => (await view.locator('article.card').count()) === 2, 20_000, 'two cards');
  await runCommand(page, 'Claude Peers: Focus Message Composer');
  await waitUntil(async () => (await activeId(view)) === 'to', 10_000, 'the focus command to land on the recipient');

  // ---- keyboard: the skip link is the first stop and jumps to the composer; few stops to it by Tab
  await view.locator('select#to').selectOption(peerB.id);
  await waitUntil(async () => !(await send.isDisabled()), 5_000, 'Send to turn on');
  await view.locator('button.skip').focus();
  await page.keyboard.press('Enter');
  await waitUntil(async () => (await activeId(view)) === 'body', 5_000, 'the skip link to focus the message field');
  assert.equal(await view.locator('textarea#body').getAttribute('aria-label'), `Message to ${nameB}`);
  await view.locator('button.skip').focus();
  let tabs = 0;
  const stops: string[] = [];
  while ((await activeId(view)) !== 'body' && tabs < 40) {
    await page.keyboard.press('Tab');
    tabs++;
    stops.push(await view.evaluate(() => { const a = document.activeElement as HTMLElement | null; return a ? `${a.tagName.toLowerCase()}${a.id ? '#' + a.id : ''}${a.dataset?.key ? `[${a.dataset.key}]` : ''}` : '?'; }));
  }
  t.diagnostic(`Tab presses from the top of the panel to the message field: ${tabs} (${stops.join(' → ')})`);
  assert.ok(tabs <= 10, `the message field is ${tabs} Tab presses away: ${stops.join(' → ')}`);
  lap('keyboard');

  // ---- the chosen peer survives a reload; when it ends, it stays chosen, marked gone, Send off
  await waitUntil(() => extensionLog(cs.userDataDir).includes(`The composer writes to ${nameB}.`), 10_000, 'the host to keep the recipient');
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench .part.statusbar', { state: 'visible', timeout: 60_000 });
  view = await openPanel(page);
  await waitUntil(async () => (await view.locator('select#to').inputValue()) === peerB.id, 20_000, 'B still chosen after the reload')
    .catch(async (e) => { throw new Error(`${(e as Error).message}: value ${await view.locator('select#to').inputValue()}, shows "${await selectedText(view)}", peers ${JSON.stringify((await allPeers()).map((p) => [p.id, p.name, p.status]))}, B was ${peerB.id}`); });
  await waitUntil(async () => !(await view.locator('button#send').isDisabled()), 10_000, 'Send on for B after the reload');
  await b.close();
  await waitUntil(async () => (await allPeers()).find((p) => p.id === peerB.id)?.status === 'gone', 20_000, 'B to be gone');
  await waitUntil(async () => (await selectedText(view)).includes('(gone)'), 15_000, 'the recipient marked gone');
  assert.equal(await view.locator('select#to').inputValue(), peerB.id, 'still B, not someone else, not everyone');
  assert.equal(await view.locator('button#send').isDisabled(), true);
  assert.match(await view.locator('#send-hint').innerText(), new RegExp(`${nameB} has ended`));
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench .part.statusbar', { state: 'visible', timeout: 60_000 });
  view = await openPanel(page);
  await waitUntil(async () => (await selectedText(view)).includes(`${nameB} (gone)`), 20_000, 'B chosen and gone after another reload');
  assert.notEqual(await view.locator('select#to').inputValue(), 'machine');
  lap('no fallback after reloads');

  // ---- a broadcast is confirmed first; cancelled, nothing is sent and the text stays
  const c = await addPeer();
  const nameC = (await c.call('whoami')).structured.name as string;
  const peerC = await waitUntil(async () => (await allPeers()).find((p) => p.name === nameC), 15_000, 'C registered');
  sessionOf.set(peerC.id, c);
  await waitUntil(async () => !(await view.locator('select#to option[value="machine"]').isDisabled()), 10_000, 'everyone to be writable');
  await view.locator('select#to').selectOption('machine');
  const everyone = 'To everyone: I am about to rebase main.';
  await view.locator('textarea#body').fill(everyone);
  await view.locator('textarea#body').press('Enter');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await dialog.innerText(), /every session on this machine \(2\)/);
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await waitUntil(async () => (await view.locator('#notice').innerText()).includes('Not sent'), 10_000, 'the "not sent" notice');
  assert.equal(await view.locator('textarea#body').inputValue(), everyone);
  assert.ok(!(await messages()).some((m) => m.body === everyone), 'nothing was sent');
  await view.locator('textarea#body').press('Enter');
  await dialog.waitFor({ state: 'visible', timeout: 10_000 });
  await dialog.locator('.monaco-button', { hasText: 'Send to All' }).click();
  await waitUntil(() => a.notes.some((n) => n.content.includes(everyone)) && c.notes.some((n) => n.content.includes(everyone)), 15_000, 'A and C to get the broadcast');
  await waitUntil(async () => /Sent to .* and /.test(await view.locator('#notice').innerText()), 10_000, 'the broadcast confirmation');
  lap('broadcast confirmed');

  // ---- the newest message stays in view while the stream is at its bottom
  let last: Message | undefined;
  for (let i = 0; i < 40; i++) last = await sendAs(peerA, peerC.id, `Filler message ${i}: ${'words '.repeat(i % 5 + 3)}`);
  await view.locator(`#msg-${last!.id}`).waitFor({ state: 'attached', timeout: 15_000 });
  await waitUntil(() => rowInView(view, last!.id), 10_000, 'the newest row in view after a burst');
  // ...but not once the human scrolled up: then a button counts what came in below.
  await view.evaluate(() => { document.getElementById('stream-scroll')!.scrollTop = 0; });
  await waitUntil(() => view.evaluate(() => document.getElementById('stream-scroll')!.scrollTop === 0), 5_000, 'the stream scrolled to the top');
  const below = await sendAs(peerA, peerC.id, 'This one arrives while you read older messages.');
  await view.locator(`#msg-${below.id}`).waitFor({ state: 'attached', timeout: 10_000 });
  await waitUntil(async () => (await view.locator('#new-below').isVisible()) && /1 new message/.test(await view.locator('#new-below').innerText()), 10_000, 'the "1 new message" button');
  assert.equal(await view.evaluate(() => document.getElementById('stream-scroll')!.scrollTop), 0, 'the stream stayed where the human left it');
  assert.equal(await rowInView(view, below.id), false);
  await view.locator('#new-below').click();
  await waitUntil(() => rowInView(view, below.id), 10_000, 'the new message in view after the button');
  // A send from the composer shows the sent message, even from higher up.
  await view.evaluate(() => { document.getElementById('stream-scroll')!.scrollTop = 0; });
  await view.locator('select#to').selectOption(peerA.id);
  const own = `Thanks ${nameA}, noted.`;
  await view.locator('textarea#body').fill(own);
  await view.locator('textarea#body').press('Enter');
  await waitUntil(async () => (await view.locator('#notice').innerText()).includes(`Sent to ${nameA}`), 10_000, 'Sent to A');
  const ownMsg = await waitUntil(async () => (await messages()).find((m) => m.body === own), 10_000, 'the human message in the broker');
  await waitUntil(() => rowInView(view, ownMsg.id), 10_000, 'the sent message in view');
  lap('keep in view');

  // ---- what the panel showed is read; "Mark all read" reads the rest
  const shown = await sendAs(peerA, 'human', 'Can I merge the parser branch?');
  await waitUntil(async () => (await messages()).find((m) => m.id === shown.id)?.state === 'read', 15_000, 'a message to you the panel showed to be read');
  await waitUntil(async () => (await view.locator('#messages-count').innerText()).trim() === '', 10_000, 'no unread badge');
  await view.locator('[data-action="section"][data-section="messages"]').click();
  await view.locator('#messages-body').waitFor({ state: 'hidden', timeout: 5_000 });
  const unseen = [await sendAs(peerC, 'human', 'First unseen question'), await sendAs(peerC, 'human', 'Second unseen question')];
  await waitUntil(async () => (await view.locator('#messages-count').innerText()).startsWith('2'), 10_000, 'the badge to count 2 unread');
  assert.ok((await messages()).filter((m) => unseen.some((u) => u.id === m.id)).every((m) => m.state !== 'read'), 'a folded section shows nothing, so nothing is read');
  await view.locator('#mark-all').click();
  await waitUntil(async () => (await messages()).filter((m) => unseen.some((u) => u.id === m.id)).every((m) => m.state === 'read'), 10_000, 'Mark all read');
  await waitUntil(async () => (await view.locator('#messages-count').innerText()).trim() === '' && await view.locator('#mark-all').isHidden(), 10_000, 'badge and button gone');
  await view.locator('[data-action="section"][data-section="messages"]').click();
  lap('read state');

  // ---- the reply count opens the thread
  const question = await sendAs(peerA, peerC.id, 'Which port does the test server use?');
  await sendAs(peerC, peerA.id, 'It picks a free one; see freePort().', question.id);
  const replies = view.locator(`#msg-${question.id} button.replies`);
  await replies.waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await replies.innerText(), /1 reply/);
  assert.equal(await replies.getAttribute('aria-expanded'), 'false');
  await replies.click();
  await view.locator(`#thread-${question.id}`).waitFor({ state: 'visible', timeout: 5_000 });
  assert.match(await view.locator(`#thread-${question.id}`).innerText(), new RegExp(`${nameC}[\\s\\S]*free one`));
  assert.equal(await view.locator(`#msg-${question.id} button.replies`).getAttribute('aria-expanded'), 'true');
  lap('thread');

  // ---- search: only matching messages, the match marked
  await view.locator('input#search').fill('free one');
  await waitUntil(async () => (await view.locator('#stream li.msg').count()) === 1, 10_000, 'one message found');
  assert.equal(await view.locator('#stream li.msg mark').first().innerText(), 'free one');
  assert.match(await view.locator('#stream-head').innerText(), /1 message contains “free one”/);
  await view.locator('input#search').fill('');
  await waitUntil(async () => (await view.locator('#stream li.msg').count()) > 1, 10_000, 'every message back');

  // ---- a muted peer: its messages fold to one line
  await view.locator(`article.card[data-peer="${peerC.id}"] button[data-action="mute"]`).click();
  await waitUntil(async () => (await view.locator(`article.card[data-peer="${peerC.id}"] button[data-action="mute"]`).getAttribute('aria-pressed')) === 'true', 10_000, 'C muted');
  const noisy = await sendAs(peerC, peerA.id, 'A noisy status line nobody asked for.');
  await view.locator(`#msg-${noisy.id}.muted`).waitFor({ state: 'attached', timeout: 10_000 });
  assert.doesNotMatch(await view.locator(`#msg-${noisy.id}`).innerText(), /noisy status line/);
  t.diagnostic(`screenshot: ${await screenshot(page, '30-panel-human')}`);

  // ---- the command palette's send says where the message went
  await clearNotifications(page);
  await runCommand(page, 'Claude Peers: Send Message to Peer…');
  const quick = page.locator('.quick-input-widget');
  await quick.locator('.quick-input-list .monaco-list-row', { hasText: nameA }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await quick.locator('.quick-input-box input').fill(nameA);
  await page.keyboard.press('Enter');
  await quick.locator('.quick-input-box input').waitFor({ state: 'visible', timeout: 10_000 });
  await waitUntil(async () => (await quick.innerText()).includes(`Message to ${nameA}`), 10_000, 'the input box for A');
  const fromPalette = 'Sent from the command palette.';
  await quick.locator('.quick-input-box input').fill(fromPalette);
  await page.keyboard.press('Enter');
  await waitUntil(() => a.notes.some((n) => n.content.includes(fromPalette)), 15_000, 'A to get the palette message');
  const toast = await notificationText(page, `Sent to ${nameA}`);
  t.diagnostic(`palette confirmation: ${toast}`);
  lap('command palette send');
}));
