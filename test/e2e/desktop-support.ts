// Helpers for the e2e tests of how the extension behaves in the VS Code people run (extension host
// restarts, the oldest supported VS Code, shell startup files, port forwarding): processes of a
// code-server seen through /proc, the extension's log, the workbench's notifications.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { waitUntil } from './waits.ts';
import { runCommand } from './workbench.ts';

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

/**
 * Waits until the extension finished activating ("Ready in … ms"). Open terminals after it: VS Code
 * relaunches a terminal opened before the extension set its environment
 * (terminal.integrated.environmentChangesRelaunch), perhaps while a command is typed into it.
 */
export async function extensionReady(userDataDir: string, timeoutMs = 60_000): Promise<void> {
  await waitUntil(() => /\] Ready in \d+ ms\./.test(extensionLog(userDataDir)), timeoutMs, 'the extension to finish activating');
}

/** The texts of the notifications on screen (toasts and, when open, the notification centre). */
export async function notificationTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('.notification-list-item'))
    .map((el) => (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim())
    .filter(Boolean));
}

/**
 * Clicks the button `label` of the first notification whose text matches `text`: its toast, or,
 * once the toast has hidden itself, its entry in the notification centre.
 */
export async function clickNotificationButton(page: Page, text: RegExp, label: string, timeoutMs = 20_000): Promise<void> {
  const item = page.locator('.notification-list-item').filter({ hasText: text }).first();
  if (!(await item.isVisible())) await runCommand(page, 'Notifications: Show Notifications');
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  await item.locator('.monaco-button', { hasText: label }).first().click({ timeout: timeoutMs });
}

/** The ports the workbench's Ports view lists (it must be open), with how each came to be forwarded. */
export async function forwardedPorts(page: Page): Promise<{ port: number; row: string }[]> {
  const rows = await page.evaluate(() => Array.from(document.querySelectorAll('.monaco-table .monaco-list-row'))
    .map((r) => (r as HTMLElement).innerText.replace(/\s+/g, ' ').trim()));
  // A row starts with the port, or with its label and the port in brackets ("Claude Peers broker (8899)").
  return rows.map((row) => { const m = /^(?:(\d+)\b|[^(]*\((\d+)\))/.exec(row); return { port: Number(m?.[1] ?? m?.[2]), row }; })
    .filter((r) => Number.isInteger(r.port) && r.port > 0);
}

// ------------------------------------------------------------------ a private network namespace
// A test that needs fixed ports (the broker's default 7899, a port under 10000 that VS Code's
// forwarding prefers) runs in a network namespace of its own: its loopback is private, so it
// never meets another program's port, and VS Code's port scan (/proc/net/tcp is per namespace)
// sees only what the test started. Linux, as root (unshare --net).

/** True inside the namespace runInPrivateNetwork() made. */
export const IN_PRIVATE_NETWORK = process.env.CP_E2E_PRIVATE_NETWORK === '1';

/** Why a private network namespace cannot be made here, or ''. */
export function privateNetworkMissingReason(): string {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `unshare is not available (${r.error.message}): install util-linux`;
  if (r.status !== 0) return `unshare --net failed (${(r.stderr || '').trim() || `exit ${r.status}`}): it needs root (or CAP_SYS_ADMIN) and iproute2`;
  return '';
}

/**
 * Runs the test called `name` of `file` again, alone, in a fresh network namespace with its
 * loopback up, and reports its diagnostics here. Resolves with its exit code and output.
 */
export async function runInPrivateNetwork(t: TestContext, file: string, name: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CP_E2E_PRIVATE_NETWORK: '1' };
  delete env.NODE_TEST_CONTEXT; // the inner run is a test run of its own, not a child of this one
  const pattern = `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const child = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"',
    process.execPath, '--import', 'tsx', '--test', '--test-reporter=tap', `--test-name-pattern=${pattern}`, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  for (const line of output.split('\n')) if (/^\s*# (?!Subtest|tests|suites|pass|fail|cancelled|skipped|todo|duration)/.test(line)) t.diagnostic(line.trim().slice(2));
  return { code, output };
}
