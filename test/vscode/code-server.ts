// Runs the bundled extension test suite (out/test/vscode/index.js) inside code-server's extension
// host through the e2e harness. Started by scripts/test-vscode.mjs with `node --import tsx`:
//   node --import tsx test/vscode/code-server.ts <extensionTestsPath> <workspaceFolder>
// Environment and settings come in as JSON (TEST_VSCODE_ENV, TEST_VSCODE_SETTINGS); the extension
// is this repo unless TEST_VSCODE_EXTENSION_DIR names another; TEST_VSCODE_TOOLSET picks the
// code-server (test/e2e/toolsets.ts: newest by default, or min). Exits with the
// suite's exit code; prints the extension host's log.
import { resolve } from 'node:path';
import { runExtensionTests } from '../e2e/extension-tests.ts';
import { REPO } from '../e2e/tools.ts';
import { toolset, type Toolset } from '../e2e/toolsets.ts';

async function main(): Promise<number> {
  const [extensionTestsPath, folder] = process.argv.slice(2);
  if (!extensionTestsPath || !folder) throw new Error('usage: code-server.ts <extensionTestsPath> <folder>');
  const env = JSON.parse(process.env.TEST_VSCODE_ENV ?? '{}') as NodeJS.ProcessEnv;
  const settings = JSON.parse(process.env.TEST_VSCODE_SETTINGS ?? '{}') as Record<string, unknown>;
  const r = await runExtensionTests({
    extensionDevelopmentPath: process.env.TEST_VSCODE_EXTENSION_DIR ? resolve(process.env.TEST_VSCODE_EXTENSION_DIR) : REPO,
    extensionTestsPath, folder, env, settings,
    toolset: toolset(process.env.TEST_VSCODE_TOOLSET as Toolset | undefined).name,
    timeoutMs: Number(process.env.TEST_VSCODE_TIMEOUT_MS ?? 180_000),
  });
  // The suite's own lines first; everything else the extension host logged only on failure.
  const ours = r.log.filter((l) => l.includes('[vscode-tests]'));
  for (const l of ours) console.log(l.replace(/^\w+: /, ''));
  if (r.exitCode !== 0) {
    console.log('--- extension host log (last 80 lines) ---');
    for (const l of r.log.slice(-80)) console.log(l);
  }
  console.log(`${toolset(process.env.TEST_VSCODE_TOOLSET as Toolset | undefined).label}: run finished in ${(r.durationMs / 1000).toFixed(1)}s, exit code ${r.exitCode}`);
  return r.exitCode;
}

main().then((code) => process.exit(code), (e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
