// Entry point of the extension test suite: what @vscode/test-electron's runTests and the code-server
// harness (test/e2e/extension-tests.ts runExtensionTests) load as extensionTestsPath. Bundled by
// scripts/test-vscode.mjs with esbuild into out/test/vscode/index.js (the extension host runs JS).
import { runAll } from './runner.ts';
import './extension.test.ts';
import './forwarding.test.ts';

export function run(): Promise<void> {
  return runAll('claude-peers extension');
}
