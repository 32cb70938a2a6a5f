// `npm run test:vscode`: the extension test suite (test/vscode) inside a real VS Code extension host.
// Bundles test/vscode/index.ts with esbuild into out/test/vscode/index.js, then picks a host:
//   1. VSCODE_EXECUTABLE=/path/to/code (the Electron binary of an installed VS Code), or
//      VSCODE_TEST_DOWNLOAD=1 (lets @vscode/test-electron download VS Code stable; never done
//      unless asked: the default run touches no network): @vscode/test-electron's runTests;
//   2. code-server, installed by `npm run setup:e2e`: the harness's runExtensionTests
//      (test/vscode/code-server.ts), once per toolset (test/e2e/toolsets.ts): 4.139.1 (VS Code
//      1.139) on Node 24 in .cache/e2e, and 4.103.2 (VS Code 1.103, the oldest that runs here) on
//      Node 22.15 (VS Code 1.101's) in .cache/e2e-min. TEST_VSCODE_TOOLSETS=newest picks one;
//   3. neither: a loud SKIP and exit 0, except under CI=true, where it fails.
// Every run is isolated: a temp user-data/extensions dir, CLAUDE_PEERS_HOME in a temp dir and a
// free port for the broker, so it never touches ~/.claude-peers or a running broker.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'out/test/vscode/index.js');
// The extension under test: this repo, or (to try the runner itself) TEST_VSCODE_EXTENSION_DIR.
const EXT_DIR = process.env.TEST_VSCODE_EXTENSION_DIR ? resolve(process.env.TEST_VSCODE_EXTENSION_DIR) : REPO;
const pkg = JSON.parse(readFileSync(join(EXT_DIR, 'package.json'), 'utf8'));
const log = (m) => console.log(`[test-vscode] ${m}`);

function skipOrFail(why) {
  if (process.env.CI === 'true') {
    console.error(`[test-vscode] FAILED: ${why} — CI=true, so a missing VS Code is a failure, not a skip`);
    process.exit(1);
  }
  console.error(`\n*** SKIPPED test:vscode: ${why} ***\n`);
  process.exit(0);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

const main = join(EXT_DIR, pkg.main ?? 'dist/extension.js');
if (!existsSync(main)) {
  console.error(`[test-vscode] FAILED: ${pkg.main} does not exist: run \`npm run build\` (is src/extension/extension.ts there?)`);
  process.exit(1);
}

await build({
  entryPoints: [join(REPO, 'test/vscode/index.ts')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'warning',
});
log(`bundled the suite → ${OUT.slice(REPO.length + 1)}`);

const executable = process.env.VSCODE_EXECUTABLE;
const download = process.env.VSCODE_TEST_DOWNLOAD === '1';
if (executable && !existsSync(executable)) {
  console.error(`[test-vscode] FAILED: VSCODE_EXECUTABLE=${executable} does not exist`);
  process.exit(1);
}
if (!executable && !download && !existsSync(join(REPO, '.cache/e2e/.installed'))) {
  skipOrFail('no VS Code to run in: set VSCODE_EXECUTABLE (a VS Code binary), VSCODE_TEST_DOWNLOAD=1 (download one), or run `npm run setup:e2e` (code-server)');
}

/** A fresh workspace, broker home and port for one run. */
async function isolated() {
  const tmp = mkdtempSync(join(tmpdir(), 'cp-vscode-test-'));
  const folder = join(tmp, 'workspace');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'README.md'), '# a workspace for the claude-peers extension tests\n');
  const port = await freePort();
  const env = { CLAUDE_PEERS_HOME: join(tmp, 'peers-home'), CLAUDE_PEERS_PORT: String(port), CLAUDE_PEERS_TEST: '1' };
  const settings = { 'claudePeers.port': port, 'security.workspace.trust.enabled': false };
  return { tmp, folder, env, settings };
}

// What scripts/setup-e2e.sh installs per toolset (its marker file), as test/e2e/toolsets.ts reads it.
const TOOLSETS = {
  newest: { dir: '.cache/e2e', label: 'code-server 4.139.1 (VS Code 1.139) on Node 24.21' },
  min: { dir: '.cache/e2e-min', label: 'code-server 4.103.2 (VS Code 1.103) on Node 22.15' },
};

if (executable || download) {
  const { tmp, folder, env, settings } = await isolated();
  let code;
  try {
    const { runTests } = await import('@vscode/test-electron');
    const userDataDir = join(tmp, 'user-data');
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify(settings, null, 2));
    log(`host: VS Code via @vscode/test-electron (${executable ?? 'downloaded stable'})`);
    code = await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : { version: 'stable' }),
      extensionDevelopmentPath: EXT_DIR,
      extensionTestsPath: OUT,
      extensionTestsEnv: env,
      launchArgs: [folder, '--user-data-dir', userDataDir, '--extensions-dir', join(tmp, 'extensions'),
        '--disable-extensions'], // runTests adds --disable-workspace-trust, --skip-welcome, --disable-updates
    }).then(() => 0, (e) => { console.error(`[test-vscode] ${e?.message ?? e}`); return 1; });
  } finally {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
  log(code === 0 ? 'PASSED' : `FAILED (exit ${code})`);
  process.exit(code);
}

const wanted = (process.env.TEST_VSCODE_TOOLSETS ?? 'newest,min').split(',').map((s) => s.trim()).filter(Boolean);
for (const t of wanted) if (!TOOLSETS[t]) { console.error(`[test-vscode] FAILED: unknown toolset "${t}" in TEST_VSCODE_TOOLSETS; pick from ${Object.keys(TOOLSETS).join(', ')}`); process.exit(2); }
const results = [];
for (const name of wanted) {
  const t = TOOLSETS[name];
  if (!existsSync(join(REPO, t.dir, '.installed'))) {
    if (process.env.CI === 'true') {
      console.error(`[test-vscode] FAILED: ${t.label} is not installed in ${t.dir} (npm run setup:e2e) — CI=true, so it cannot be skipped`);
      results.push([name, 1]);
    } else {
      console.error(`\n*** SKIPPED test:vscode on ${t.label}: not installed in ${t.dir} (run: npm run setup:e2e) ***\n`);
    }
    continue;
  }
  const { tmp, folder, env, settings } = await isolated();
  log(`host: ${t.label} (${t.dir}) with headless Chromium`);
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'test/vscode/code-server.ts'), OUT, folder], {
      cwd: REPO, stdio: 'inherit',
      env: { ...process.env, TEST_VSCODE_ENV: JSON.stringify(env), TEST_VSCODE_SETTINGS: JSON.stringify(settings), TEST_VSCODE_EXTENSION_DIR: EXT_DIR, TEST_VSCODE_TOOLSET: name },
    });
    results.push([name, r.status ?? 1]);
  } finally {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
  log(`${t.label}: ${results.at(-1)[1] === 0 ? 'PASSED' : `FAILED (exit ${results.at(-1)[1]})`}`);
}
const failed = results.filter(([, c]) => c !== 0);
log(failed.length ? `FAILED on ${failed.map(([n]) => n).join(', ')}` : `PASSED on ${results.map(([n]) => n).join(', ') || 'nothing (all skipped)'}`);
process.exit(failed.length ? 1 : 0);
