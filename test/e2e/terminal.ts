// The workbench's integrated terminals: open one, type into it, read what it shows.
import type { Page } from 'playwright-core';
import { runCommand } from './workbench.ts';
import { waitUntil } from './waits.ts';

/** The active terminal's xterm element. */
function activeXterm(page: Page) {
  // With several terminals only the active wrapper's xterm takes keys; fall back for a lone one.
  return page.locator('.terminal-wrapper .xterm:visible').last();
}

/** Opens a new integrated terminal and waits until it has focus and shows a prompt. */
export async function openTerminal(page: Page, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 30_000;
  const before = await page.locator('.terminal-wrapper').count();
  await runCommand(page, 'Terminal: Create New Terminal', { timeoutMs: timeout });
  await waitUntil(async () => (await page.locator('.terminal-wrapper').count()) > before, timeout, 'a new terminal');
  await activeXterm(page).waitFor({ state: 'visible', timeout });
  // Wait for the shell to print something (its prompt) before typing.
  await waitUntil(async () => (await terminalText(page)).trim().length > 0, timeout, 'the terminal prompt');
  await focusTerminal(page);
}

/** Puts keyboard focus into the active terminal. */
export async function focusTerminal(page: Page): Promise<void> {
  await activeXterm(page).click();
  await page.locator('.terminal-wrapper.active .xterm.focus, .xterm.focus').first().waitFor({ state: 'attached', timeout: 5_000 }).catch(() => undefined);
}

/** Types into the active terminal; presses Enter afterwards unless `enter: false`. */
export async function typeInTerminal(page: Page, text: string, opts: { enter?: boolean; delayMs?: number } = {}): Promise<void> {
  await focusTerminal(page);
  await page.keyboard.type(text, { delay: opts.delayMs ?? 10 });
  if (opts.enter !== false) await page.keyboard.press('Enter');
}

/**
 * The text the active terminal shows (its visible rows), read from xterm's DOM renderer
 * (the harness turns GPU acceleration off), or from its accessibility buffer when present.
 */
export async function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const wrappers = Array.from(document.querySelectorAll('.terminal-wrapper'));
    const shown = wrappers.filter((w) => (w as HTMLElement).offsetParent !== null);
    const active = (shown.find((w) => w.classList.contains('active')) ?? shown[shown.length - 1] ?? wrappers[wrappers.length - 1]) as HTMLElement | undefined;
    if (!active) return '';
    const rows = active.querySelector('.xterm-rows') as HTMLElement | null;
    if (rows && rows.children.length) return Array.from(rows.children).map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join('\n');
    const a11y = active.querySelector('.xterm-accessibility-tree, .xterm-accessibility') as HTMLElement | null;
    return a11y ? a11y.innerText : '';
  });
}

/** Waits until the active terminal shows `text` (a string or a pattern); returns the whole screen. */
export async function waitForTerminalText(page: Page, text: string | RegExp, timeoutMs = 15_000): Promise<string> {
  let last = '';
  try {
    return await waitUntil(async () => {
      last = await terminalText(page);
      return (typeof text === 'string' ? last.includes(text) : text.test(last)) ? last : '';
    }, timeoutMs, `terminal text ${String(text)}`, 200);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- terminal shows ---\n${last}`, { cause: e });
  }
}
