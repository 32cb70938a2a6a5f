// An extension test suite (what @vscode/test-electron runs) inside code-server's extension host.
import type { Toolset } from './toolsets.ts';
import { startCodeServer } from './code-server.ts';
import { openWorkbench, type Workbench } from './workbench.ts';
import { withTimeout } from './waits.ts';

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
