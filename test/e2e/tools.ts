// Where the e2e tools live (installed by scripts/setup-e2e.sh: the code-server and Node pairs of
// toolsets.ts, and Chromium for playwright-core) and whether they are there.
//
// The e2e harness, one module per part:
//   tools.ts            locations, Chromium, e2eSkip()
//   toolsets.ts         the two VS Code builds (newest, min) and their Nodes
//   waits.ts            sleep, waitUntil, withTimeout, freePort
//   cleanup.ts          what is left open is closed after each test file (and killed on exit)
//   code-server.ts      startCodeServer({ folder, vsixPath | extensionDevelopmentPath, settings, env })
//   workbench.ts        openWorkbench(url), runCommand, openFile, themes, side bar width, notifications, screenshots
//   terminal.ts         openTerminal, typeInTerminal, waitForTerminalText
//   webview.ts          webviewFrame(page, 'Peers'), runAxe(frame)
//   extension-tests.ts  runExtensionTests(): a @vscode/test-electron style suite in code-server
//   world.ts            the extension under test, a terminal world with the real claude, the user's broker client
//   desktop-support.ts  /proc views of code-server's processes, the extension's log, notifications, network namespaces
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
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toolsetMissingReason, type Toolset } from './toolsets.ts';

export const REPO = resolve(__dirname, '../..');
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
