// Runs the test suites with node's own test runner (TypeScript through tsx).
//   node scripts/test.mjs            every suite
//   node scripts/test.mjs unit ...   only the named suites (unit, integration, claude, e2e)
// A suite whose tools are missing (code-server for e2e) is skipped with a loud line, except under
// CI=true, where a missing tool fails the run: CI must prove everything.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const all = ['unit', 'integration', 'claude', 'e2e'];
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = asked.length ? asked : all;
const files = [];
for (const s of suites) {
  if (!all.includes(s)) { console.error(`unknown suite "${s}"; pick from ${all.join(', ')}`); process.exit(2); }
  const dir = join('test', s);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.ts')) files.push(join(dir, f));
}
if (!files.length) { console.error('no test files found'); process.exit(1); }
const args = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, CLAUDE_PEERS_TEST: '1' } });
process.exit(r.status ?? 1);
