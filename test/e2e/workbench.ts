// The VS Code workbench in headless Chromium and what tests do in it: open it, run commands from
// the palette, open files, switch themes, size the side bar, read notifications and Explorer badges,
// take screenshots (test-results/e2e/).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { openThings } from './cleanup.ts';
import { CHROMIUM, CHROMIUM_ARGS, RESULTS_DIR } from './tools.ts';
import { waitUntil, withTimeout } from './waits.ts';

export interface Workbench {
  browser: Browser;
  page: Page;
  /** Closes the browser (bounded; kills Chromium if it hangs). */
  close(): Promise<void>;
  /** Browser console lines and page errors seen so far. */
  consoleLogs(): string[];
}

/** Launches headless Chromium on `url` and resolves once the VS Code workbench is on screen. */
export async function openWorkbench(url: string, opts: { timeoutMs?: number; beforeGoto?: (page: Page) => Promise<void> } = {}): Promise<Workbench> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000,
    env: { ...process.env, TZ: 'UTC' },
  });
  const pid = (browser as unknown as { process?: () => ChildProcess }).process?.()?.pid;
  const lines: string[] = [];
  const close = async () => {
    openThings.delete(close);
    try { await withTimeout(browser.close(), 10_000, 'closing Chromium'); } catch { if (pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }
  };
  openThings.add(close);
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    page.on('console', (m) => { lines.push(`[${m.type()}] ${m.text()}`); if (lines.length > 5000) lines.shift(); });
    page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
    if (opts.beforeGoto) await opts.beforeGoto(page);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    await page.waitForSelector('.monaco-workbench', { state: 'visible', timeout: opts.timeoutMs ?? 60_000 });
    // The status bar and activity bar appear once the workbench has laid out its parts.
    await page.waitForSelector('.monaco-workbench .part.statusbar', { state: 'visible', timeout: 30_000 });
    return { browser, page, close, consoleLogs: () => lines.slice() };
  } catch (e) {
    await close();
    throw e;
  }
}

export const QUICK_INPUT = '.quick-input-widget';

/**
 * Runs a command through the command palette (F1), by its full label as shown there
 * ("Claude Peers: Open Panel"). Picks the row whose label is exactly `label` when there is one.
 */
export async function runCommand(page: Page, label: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeout;
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await input.waitFor({ state: 'visible', timeout });
  const rows = page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`);
  const exact = rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) });
  // An extension's commands appear some time after the workbench does, and an open palette does
  // not pick up commands registered later: re-enter the query until the command shows up.
  for (let attempt = 0; ; attempt++) {
    await input.fill('');
    await input.fill(`>${label}`);
    const found = await exact.first().waitFor({ state: 'visible', timeout: Math.max(500, Math.min(2000, deadline - Date.now())) }).then(() => true, () => false);
    if (found) break;
    if (Date.now() >= deadline) {
      const shown = (await rows.locator('.label-name').allTextContents()).slice(0, 10).map((x) => x.trim());
      await page.keyboard.press('Escape');
      throw new Error(`command "${label}" not found in the palette within ${timeout} ms (it shows: ${shown.map((x) => `"${x}"`).join(', ') || 'nothing'})`);
    }
    if (attempt % 3 === 2) { // reopen the palette now and then
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5000 });
    }
  }
  await exact.first().click({ timeout: Math.max(1000, deadline - Date.now()) });
  await page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Opens a file of the workspace through Quick Open (Ctrl+P) and waits for its editor tab. */
export async function openFile(page: Page, relativePath: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 15_000;
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(relativePath);
  const base = relativePath.split('/').pop()!;
  await page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`, { hasText: base }).first().waitFor({ state: 'visible', timeout });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: base }).first().waitFor({ state: 'visible', timeout });
}


/** Saves a full-window screenshot to test-results/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  return file;
}

/**
 * Switches the colour theme through "Preferences: Color Theme", picking the theme whose label is
 * exactly `themeLabel` ("Light Modern", "Dark Modern"...). Wait for it with waitForThemeKind().
 * (Editing settings.json on disk does not reach a running code-server workbench here.)
 */
export async function setColorTheme(page: Page, themeLabel: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 20_000;
  await runCommand(page, 'Preferences: Color Theme', { timeoutMs: timeout });
  const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(themeLabel);
  const row = page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(themeLabel)}\\s*$`) }) }).first();
  await row.waitFor({ state: 'visible', timeout });
  await row.click({ timeout });
  await page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

/** Waits until the workbench shows a theme of this kind (its root element's 'vs' / 'vs-dark' / 'hc-black' class). */
export async function waitForThemeKind(page: Page, kind: 'light' | 'dark' | 'high-contrast', timeoutMs = 20_000): Promise<void> {
  const cls = kind === 'light' ? 'vs' : kind === 'dark' ? 'vs-dark' : 'hc-black';
  const probe = `!!document.querySelector('.monaco-workbench')?.classList.contains(${JSON.stringify(cls)})`;
  await waitUntil(async () => (await page.evaluate(probe)) === true, timeoutMs, `a ${kind} theme`, 200);
}

// Runs in the page (as a string: tsx's helpers such as __name do not exist there). Returns the

/** The decoration badges VS Code draws (as CSS ::after content) on an Explorer row, joined. */
export async function explorerBadge(page: Page, fileName: string): Promise<string> {
  const script = `(() => {
    const row = [...document.querySelectorAll('.explorer-folders-view .monaco-list-row')].find((r) => r.textContent.includes(${JSON.stringify(fileName)}));
    if (!row) return '';
    return [...row.querySelectorAll('*')].map((el) => getComputedStyle(el, '::after').content).filter((c) => c && c !== 'none' && c !== 'normal').join(' ');
  })()`;
  return String(await page.evaluate(script));
}

/**
 * Drags the sash between the primary side bar and the editor until the side bar is `px` wide
 * (the side bar must be open). Returns the width reached.
 */
export async function setSidebarWidth(page: Page, px: number, timeoutMs = 10_000): Promise<number> {
  const width = () => page.evaluate(`document.querySelector('.part.sidebar')?.getBoundingClientRect().width ?? 0`) as Promise<number>;
  return waitUntil(async () => {
    const now = await width();
    if (Math.abs(now - px) <= 1) return now;
    const sash = await page.evaluate(`(() => {
      const bar = document.querySelector('.part.sidebar').getBoundingClientRect();
      const sashes = [...document.querySelectorAll('.monaco-sash.vertical')].map((s) => s.getBoundingClientRect())
        .filter((r) => r.height > bar.height / 2 && Math.abs(r.left + r.width / 2 - bar.right) < 6);
      return sashes.length ? { x: sashes[0].left + sashes[0].width / 2, y: bar.top + bar.height / 2, right: bar.right } : null;
    })()`) as { x: number; y: number; right: number } | null;
    if (!sash) return null;
    await page.mouse.move(sash.x, sash.y);
    await page.mouse.down();
    await page.mouse.move(sash.x + (px - now), sash.y, { steps: 8 });
    await page.mouse.up();
    // Away from the sash: a hovered sash is drawn highlighted in screenshots.
    await page.mouse.move(sash.right + 400, sash.y);
    return null;
  }, timeoutMs, `a side bar ${px} px wide`, 200);
}

/** The text of the notification (in the notification centre, which keeps them) that contains `text`. */
export async function notificationText(page: Page, text: string | RegExp, timeoutMs = 20_000): Promise<string> {
  await runCommand(page, 'Notifications: Show Notifications');
  const item = page.locator('.notification-list-item', { hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await item.innerText()).replace(/\s+/g, ' ');
}

/** Clears every notification (so a later check sees only new ones). */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
}
