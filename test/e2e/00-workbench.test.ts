// Smoke test of the e2e harness itself: a real code-server workbench in headless Chromium opens
// a file through Quick Open and runs a command in an integrated terminal.
// Needs `npm run setup:e2e`; without it the test is skipped (and fails under CI=true).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCodeServer, type CodeServer } from './code-server.ts';
import { openTerminal, typeInTerminal, waitForTerminalText } from './terminal.ts';
import { e2eSkip } from './tools.ts';
import { openFile, openWorkbench, screenshot, type Workbench } from './workbench.ts';

test('code-server workbench: quick open a file, run a command in a terminal', { skip: e2eSkip(), timeout: 180_000 }, async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'cp-e2e-ws-'));
  writeFileSync(join(folder, 'hello.txt'), 'Hello from the e2e smoke test\n');
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    cs = await startCodeServer({ folder });
    wb = await openWorkbench(cs.url);
    const { page } = wb;

    await openFile(page, 'hello.txt');
    await page.locator('.monaco-editor .view-lines', { hasText: 'Hello from the e2e smoke test' }).first().waitFor({ state: 'visible', timeout: 15_000 });

    await openTerminal(page);
    await typeInTerminal(page, 'echo hello-e2e');
    // A line that is only "hello-e2e" is the command's output (the typed command line starts with the prompt).
    const screen = await waitForTerminalText(page, /^hello-e2e\s*$/m, 20_000);
    assert.match(screen, /echo hello-e2e/);
    const file = await screenshot(page, '00-workbench');
    t.diagnostic(`screenshot: ${file}`);
  } catch (e) {
    if (wb) await screenshot(wb.page, '00-workbench-failure').catch(() => undefined);
    if (cs) t.diagnostic(`code-server output:\n${cs.logs().slice(-4000)}`);
    if (wb) t.diagnostic(`browser console:\n${wb.consoleLogs().slice(-40).join('\n')}`);
    throw e;
  } finally {
    await wb?.close();
    await cs?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});
