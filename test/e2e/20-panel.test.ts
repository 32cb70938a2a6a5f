// The Peers panel in a real VS Code (code-server) in headless Chromium, with the broker hosted by
// the extension: two real MCP peers (`claude-peers mcp`) with summaries edit the same file through
// the real hook CLI and talk in a thread. The panel shows both cards, the conflicting file and the
// banner, the thread; at a 250 px side bar it is screenshotted in a dark, a light and a
// high-contrast theme and checked with axe-core in each (no serious or critical finding); its
// composer reaches a peer as a message from the human and says so; a file on a card opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Frame } from 'playwright-core';
import { e2eSkip } from './tools.ts';
import { waitUntil } from './waits.ts';
import { RESULTS_DIR } from './tools.ts';
import { runAxe, textContrast, webviewFrame, type AxeFinding } from './webview.ts';
import {
  explorerBadge, runCommand, screenshot, setColorTheme, setSidebarWidth, waitForThemeKind,
} from './workbench.ts';
import { inPeersWindow } from './peers-window.ts';
import { CLI, type McpPeer } from '../support/processes.ts';
import type { Conflict, Peer } from '../../src/protocol/wire.ts';

/** `claude-peers hook PostToolUse` for a Write of `file` by the session of `peer`, as Claude Code runs it. */
function postToolUseWrite(peer: McpPeer, file: string, cwd: string, home: string, port: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'hook', 'PostToolUse'], {
      cwd,
      env: {
        ...process.env,
        CLAUDE_PEERS_HOME: home,
        CLAUDE_PEERS_PORT: String(port),
        CLAUDE_PEERS_CLAUDE_PID: String(peer.claude.pid),
        // The hook waits ~800 ms for the broker by default: plenty, but the extension host is busy.
        CLAUDE_PEERS_HOOK_DEADLINE_MS: '3000',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the hook did not exit within 10 s')); }, 10_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(JSON.stringify({
      hook_event_name: 'PostToolUse', tool_name: 'Write', tool_input: { file_path: file, content: 'x' }, cwd, session_id: 'x',
    }));
  });
}

/** axe-core on the panel: writes every finding to test-results/e2e/axe-<name>.json, returns the serious and critical ones. */
async function axeCheck(view: Frame, name: string): Promise<{ all: AxeFinding[]; blocking: AxeFinding[]; incomplete: AxeFinding[] }> {
  const { violations: all, incomplete } = await runAxe(view);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `axe-${name}.json`), JSON.stringify({ violations: all, incomplete }, null, 2));
  return { all, incomplete, blocking: all.filter((f) => f.impact === 'serious' || f.impact === 'critical') };
}

/** The text of every element matching `selector` in the webview. */
async function texts(frame: Frame, selector: string): Promise<string[]> {
  return (await frame.locator(selector).allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
}

test('the Peers panel: cards, conflict, thread, themes, composer, open file', { skip: e2eSkip(), timeout: 240_000 }, (t) => inPeersWindow(t, '20-panel', {
  settings: { 'claudePeers.wake.peerMessages': 'off', 'workbench.colorTheme': 'Default Dark Modern' },
  prepare: (folder) => writeFileSync(join(folder, 'src-shared.ts'), 'export const shared = 1;\n'),
}, async ({ folder, brokerHome, port, page, client, addPeer }) => {
  const t0 = Date.now();
  const lap = (what: string) => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const shared = join(folder, 'src-shared.ts');
  lap('workbench open, broker up');

  // ---- two real MCP peers with summaries, both editing the shared file, and a thread
  const a = await addPeer();
  const b = await addPeer();
  const nameA = (await a.call('whoami')).structured.name as string;
  const nameB = (await b.call('whoami')).structured.name as string;
  assert.notEqual(nameA, nameB);
  const summaryA = 'Refactoring the shared module into smaller helpers';
  const summaryB = 'Adding input validation to the shared module';
  assert.equal((await a.call('set_summary', { summary: summaryA })).isError, false);
  assert.equal((await b.call('set_summary', { summary: summaryB })).isError, false);

  for (const p of [a, b]) {
    const r = await postToolUseWrite(p, shared, folder, brokerHome, port);
    assert.equal(r.code, 0, `hook exit: ${r.stderr}`);
  }
  const conflicts = await waitUntil(async () => {
    const c = (await client.get<{ conflicts: Conflict[] }>('/conflicts')).conflicts;
    return c.some((x) => x.path === shared && x.peers.length === 2) ? c : null;
  }, 15_000, 'the broker to report the conflict on the shared file');
  assert.deepEqual(new Set(conflicts[0].peers.map((p) => p.name)), new Set([nameA, nameB]));

  const question = 'Are you touching the exports of src-shared.ts? I plan to split them.';
  const answer = 'Only the validation helpers at the bottom; go ahead with the exports.';
  const sent = await a.call('send_message', { to: nameB, message: question });
  assert.equal(sent.isError, false, sent.text);
  const questionId = sent.structured.id as number;
  await waitUntil(() => b.notes.some((n) => n.content.includes(question)), 15_000, 'B to receive the question');
  const replied = await b.call('send_message', { to: nameA, message: answer, reply_to: questionId });
  assert.equal(replied.isError, false, replied.text);
  lap('peers, conflict and thread set up');

  // ---- the panel (a taller window, so the screenshots show the banner, both cards and the thread)
  await page.setViewportSize({ width: 1400, height: 1050 });
  await runCommand(page, 'Claude Peers: Open Peers Panel');
  const view = await webviewFrame(page, 'Peers', { timeoutMs: 30_000 });
  const cards = view.locator('article.card');
  await waitUntil(async () => (await cards.count()) === 2, 20_000, 'two peer cards');
  lap('panel shows two cards');

  const names = await texts(view, 'article.card .name');
  assert.deepEqual(new Set(names), new Set([nameA, nameB]), `card names: ${names}`);
  const cardOf = (name: string) => cards.filter({ has: view.locator('.name', { hasText: name }) });
  assert.equal(await cardOf(nameA).locator('.task').innerText(), summaryA);
  assert.equal(await cardOf(nameB).locator('.task').innerText(), summaryB);
  for (const name of [nameA, nameB]) {
    const card = cardOf(name);
    assert.ok((await card.getAttribute('class'))?.split(' ').includes('has-conflict'), `${name}'s card is marked as in a conflict`);
    const file = card.locator('button.file', { hasText: basename(shared) });
    assert.equal(await file.count(), 1, `${name}'s card lists ${basename(shared)}`);
    assert.ok((await file.getAttribute('class'))?.split(' ').includes('conflict'), `${name}'s ${basename(shared)} is highlighted as conflicting`);
    assert.equal(await file.getAttribute('data-path'), shared);
  }

  const banner = view.locator('#banner .conflict');
  await banner.first().waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await banner.count(), 1);
  const bannerText = (await banner.innerText()).replace(/\s+/g, ' ');
  assert.ok(bannerText.includes(nameA) && bannerText.includes(nameB) && bannerText.includes(basename(shared)), `banner: ${bannerText}`);
  assert.match(bannerText, /are both on/);

  // The thread: the question, then the answer shown as a reply to it.
  const rows = view.locator('#stream li.msg');
  await waitUntil(async () => (await rows.count()) >= 2, 10_000, 'both messages in the stream');
  const qRow = view.locator(`#msg-${questionId}`);
  assert.ok((await qRow.locator('.body').innerText()).includes(question));
  assert.equal((await qRow.locator('.from').innerText()).trim(), nameA);
  assert.match(await qRow.locator('.replies').innerText(), /1 reply/);
  const replyRow = view.locator('#stream li.msg.is-reply');
  assert.equal(await replyRow.count(), 1);
  assert.equal((await replyRow.locator('.from').innerText()).trim(), nameB);
  assert.ok((await replyRow.locator('.body').innerText()).includes(answer));
  const ref = (await replyRow.locator('.reply-ref').innerText()).replace(/\s+/g, ' ');
  assert.ok(ref.includes(nameA) && ref.includes('Are you touching'), `reply reference: ${ref}`);
  assert.equal(await replyRow.locator('.reply-ref').getAttribute('data-id'), String(questionId));

  // ---- at 250 px: screenshots and axe-core in a dark, a light and a high-contrast theme
  await setSidebarWidth(page, 250);
  await waitUntil(() => view.evaluate('window.innerWidth <= 252'), 10_000, 'the webview to be 250 px wide');
  const themes = [
    { label: 'Dark Modern', kind: 'dark', body: 'vscode-dark', shot: '20-panel-dark' },
    { label: 'Light Modern', kind: 'light', body: 'vscode-light', shot: '20-panel-light' },
    { label: 'Dark High Contrast', kind: 'high-contrast', body: 'vscode-high-contrast', shot: '20-panel-high-contrast' },
  ] as const;
  const sideBarColour = () => view.evaluate(`getComputedStyle(document.documentElement).getPropertyValue('--vscode-sideBar-background').trim()`) as Promise<string>;
  let previous = '';
  for (const theme of themes) {
    if (theme.kind !== 'dark') await setColorTheme(page, theme.label);
    await waitForThemeKind(page, theme.kind);
    await waitUntil(() => view.evaluate(`document.body.classList.contains(${JSON.stringify(theme.body)})`), 15_000, `the webview to take the ${theme.label} theme`);
    // The theme's colours reach the webview as CSS variables, after its class: wait for them too.
    await waitUntil(async () => { const c = await sideBarColour(); return c && c !== previous ? c : null; }, 15_000, `the ${theme.label} colours in the webview`);
    previous = await sideBarColour();
    await view.locator('#banner .conflict').first().waitFor({ state: 'visible', timeout: 5_000 });
    t.diagnostic(`screenshot: ${await screenshot(page, theme.shot)}`);
    const axe = await axeCheck(view, theme.kind);
    t.diagnostic(`axe-core, ${theme.label}: ${axe.all.length} violations (${axe.all.map((f) => `${f.id}:${f.impact}`).join(', ') || 'none'}), ${axe.blocking.length} serious or critical; undecided: ${axe.incomplete.map((f) => `${f.id} ×${f.nodes.length}`).join(', ') || 'none'}`);
    // The conflicting file's name in the warning colour (it was 2.93:1 in Light Modern).
    const contrast = await textContrast(view, 'button.file.conflict .path');
    t.diagnostic(`contrast of a conflicting file name, ${theme.label}: ${contrast.toFixed(2)}:1`);
    assert.ok(contrast >= 4.5, `${theme.label}: a conflicting file name has ${contrast.toFixed(2)}:1, AA needs 4.5:1`);
    assert.deepEqual(axe.blocking.map((f) => `${f.id} (${f.impact}): ${f.help} — ${f.nodes.join(' | ')}`), [], `${theme.label}: no serious or critical accessibility finding`);
  }
  lap('screenshots and accessibility checks done');

  // ---- keyboard: after the skip link, the conflict banner's buttons are the first stops
  await view.locator('button.skip').focus();
  const stops: string[] = [];
  for (let i = 0; i < 2; i++) {
    await page.keyboard.press('Tab');
    stops.push(await view.evaluate('document.activeElement?.dataset?.key ?? document.activeElement?.tagName') as string);
  }
  assert.deepEqual(stops, [`conflict-open:${shared}`, `conflict-msg:${shared}`], `the first stops: ${stops.join(', ')}`);

  // ---- the composer: an empty send is refused inline; a message to B reaches B from the human
  const peerB = (await client.get<{ peers: Peer[] }>('/peers')).peers.find((p) => p.name === nameB)!;
  const to = view.locator('select#to');
  assert.equal(await view.locator('button#send').isDisabled(), true, 'Send is off until a recipient is chosen');
  await to.selectOption(peerB.id);
  await waitUntil(async () => !(await view.locator('button#send').isDisabled()), 5_000, 'Send to turn on once B is chosen');

  await view.locator('button#send').click();
  await waitUntil(async () => (await view.locator('#send-error').innerText()).includes('Write a message first'), 5_000, 'the inline error of an empty send');

  const note = `Hello ${nameB}, this is the human: please pause after the validation helpers.`;
  await view.locator('textarea#body').click();
  await page.keyboard.type(note, { delay: 2 });
  assert.equal(await view.locator('#send-error').innerText(), '', 'typing clears the inline error');
  await page.keyboard.press('Enter');
  const got = await waitUntil(() => b.notes.find((n) => n.content.includes(note)), 15_000, 'B to receive the human\'s message');
  assert.equal(got.meta.from_kind, 'human');
  assert.match(got.content, /from the person at the Claude Peers panel/);
  assert.ok(!a.notes.some((n) => n.content.includes(note)), 'A did not get the message to B');
  // The panel clears the composer, says where it went, and shows the message in the stream, from "you".
  await waitUntil(async () => (await view.locator('textarea#body').inputValue()) === '', 5_000, 'the composer to clear');
  await waitUntil(async () => (await view.locator('#notice').innerText()).includes(`Sent to ${nameB}`), 5_000, 'the confirmation "Sent to B"');
  const mine = view.locator('#stream li.msg.from-human', { hasText: 'please pause after the validation helpers' });
  await mine.waitFor({ state: 'attached', timeout: 10_000 });
  assert.equal((await mine.locator('.from').innerText()).trim(), 'you');
  lap('composer message delivered');

  // ---- a file on a card opens in an editor
  await cardOf(nameA).locator('button.file', { hasText: basename(shared) }).click();
  await page.locator('.tabs-container .tab', { hasText: basename(shared) }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.locator('.monaco-editor .view-lines', { hasText: 'export const shared' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  lap('file opened from the card');

  // ---- a claim shows in the Explorer before anyone edits the file
  const claimed = join(folder, 'claimed.ts');
  writeFileSync(claimed, 'export {};\n');
  const claim = await a.call('claim_files', { paths: ['claimed.ts'], reason: 'rewriting it' });
  assert.equal(claim.isError, false, claim.text);
  await page.keyboard.press('Control+Shift+E');
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'claimed.ts' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await waitUntil(async () => (await explorerBadge(page, 'claimed.ts')) === '"C"', 15_000, 'the claim badge on claimed.ts');
  lap('claim badge in the Explorer');
}));
