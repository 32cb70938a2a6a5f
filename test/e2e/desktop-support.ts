// Helpers for the e2e tests of how the extension behaves in the VS Code people run (extension host
// restarts, the oldest supported VS Code, shell startup files, port forwarding): processes of a
// code-server seen through /proc, the extension's log, the workbench's notifications.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** /proc/<pid>/cmdline as one string with spaces, or '' when the process is gone. */
export function cmdlineOf(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { return ''; }
}

/** The process group of a process (field 5 of /proc/<pid>/stat), or null when it is gone. */
export function processGroupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch { return null; }
}

/** Every live VS Code extension host (`--type=extensionHost`) in a process group. */
export function extensionHostsIn(group: number): number[] {
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (processGroupOf(pid) === group && cmdlineOf(pid).includes('--type=extensionHost')) found.push(pid);
  }
  return found;
}

/** Whether the process is alive and not a zombie. */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

/** Every file called `name` below `dir`. */
export function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isFile() && e.name === name) out.push(p);
    else if (e.isDirectory()) out.push(...findFiles(p, name));
  }
  return out;
}

/**
 * Everything the extension logged to its output channel, over every extension host the window
 * had (VS Code starts a new logs/<time>/exthostN folder for each), oldest first.
 */
export function extensionLog(userDataDir: string): string {
  return findFiles(join(userDataDir, 'logs'), 'Claude Peers.log').sort().map((f) => readFileSync(f, 'utf8')).join('');
}

/** The texts of the notifications on screen (toasts and, when open, the notification centre). */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('.notification-list-item'))
    .map((el) => (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim())
    .filter(Boolean));
}

/** Clicks the button `label` of the first notification on screen whose text matches `text`. */
export async function clickNotificationButton(page: Page, text: RegExp, label: string, timeoutMs = 20_000): Promise<void> {
  const item = page.locator('.notification-list-item').filter({ hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  await item.locator('.monaco-button', { hasText: label }).first().click({ timeout: timeoutMs });
}
