// The `claude` shim the extension puts on its terminals' PATH, run as a real shell script in front
// of a stand-in `claude` that reports what it was started with.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, chmodSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, tempHome } from '../support/processes.ts';
import { installShim, findRealClaude, shouldPassThrough, type ShimConfig } from '../../src/client/claude-launch.ts';

let root: string;
let shimDir: string;
let realDir: string;
const skip = process.platform === 'win32' ? 'POSIX shell script' : false;

const cfg = (over: Partial<ShimConfig> = {}): ShimConfig => ({
  enabled: true,
  channels: false,
  runtime: { node: process.execPath, cli: CLI, hook: CLI.replace(/cli\.js$/, 'hook.js'), electron: false, env: { CLAUDE_PEERS_HOME: join(root, 'peers-home') } },
  ...over,
});

before(() => {
  root = tempHome('cp-shim-');
  shimDir = join(root, 'shim');
  realDir = join(root, 'real bin');
  mkdirSync(realDir, { recursive: true });
  // The stand-in claude: prints argv and the env we care about, exits with $FAKE_EXIT.
  writeFileSync(join(realDir, 'claude'), `#!/bin/sh
node -e 'const a = process.argv.slice(1), i = a.indexOf("--settings"); console.log(JSON.stringify({ args: a, settings: i >= 0 ? require("fs").readFileSync(a[i + 1], "utf8") : null, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("CLAUDE_PEERS") || k === "ELECTRON_RUN_AS_NODE")) }))' -- "$@"
exit \${FAKE_EXIT:-0}
`);
  chmodSync(join(realDir, 'claude'), 0o755);
  installShim(shimDir, cfg());
});

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(join(shimDir, 'claude'), args, {
    encoding: 'utf8',
    env: { PATH: `${shimDir}:${realDir}:${process.env.PATH}`, HOME: root, ...env },
  });
  let out: { args: string[]; settings: string | null; env: Record<string, string> } | null = null;
  try { out = JSON.parse(r.stdout.trim().split('\n').pop() ?? ''); } catch { /* not JSON */ }
  return { ...r, out };
}

test('finds the real claude further down PATH, skipping shim folders', { skip }, () => {
  assert.equal(findRealClaude(`${shimDir}:${realDir}`, [shimDir]), join(realDir, 'claude'));
  assert.equal(findRealClaude(`${shimDir}:${realDir}`, []), join(realDir, 'claude'), 'a folder with shim.json is never the real claude');
  assert.equal(findRealClaude(shimDir, [shimDir]), null);
});

test('a session gets our MCP server and hooks once, the user args unchanged and last', { skip }, () => {
  const r = run(['-p', 'fix the bug', '--model', 'x']);
  assert.equal(r.status, 0, r.stderr);
  const a = r.out!.args;
  assert.deepEqual(a.slice(-4), ['-p', 'fix the bug', '--model', 'x']);
  assert.equal(a.filter((x) => x === '--mcp-config').length, 1);
  assert.equal(a.filter((x) => x === '--settings').length, 1);
  assert.ok(!a.includes('--dangerously-load-development-channels'), 'channels are opt-in');
  const mcp = JSON.parse(readFileSync(a[a.indexOf('--mcp-config') + 1], 'utf8'));
  assert.deepEqual(mcp.mcpServers['claude-peers'].args, [CLI, 'mcp']);
  const hooks = JSON.parse(readFileSync(a[a.indexOf('--settings') + 1], 'utf8')).hooks;
  assert.match(hooks.PostToolUse[0].hooks[0].command, /hook\.js' PostToolUse$|hook\.js PostToolUse$/, 'no broker answered: command hooks, from the small bundle');
  assert.equal(r.out!.env.CLAUDE_PEERS_SHIM_ACTIVE, '1');
  assert.equal(r.out!.env.ELECTRON_RUN_AS_NODE, undefined, 'never leaks into the session');
  assert.match(r.out!.env.CLAUDE_PEERS_TERMINAL_ID, /^shell-pid:\d+$/);
  assert.equal(r.out!.env.CLAUDE_PEERS_HOME, join(root, 'peers-home'));
});

test('management commands, --version and nested sessions pass through untouched', { skip }, () => {
  for (const args of [['--version'], ['mcp', 'list'], ['doctor'], ['-h']]) {
    assert.deepEqual(run(args).out!.args, args);
  }
  assert.deepEqual(run(['-p', 'x'], { CLAUDE_PEERS_SHIM_ACTIVE: '1' }).out!.args, ['-p', 'x']);
  assert.equal(shouldPassThrough(['-p', 'mcp']), false, 'a prompt that says "mcp" is still a session');
});

test("the user's own --settings is merged, not replaced", { skip }, () => {
  const mine = JSON.stringify({ model: 'opus', hooks: { Stop: [{ hooks: [{ type: 'command', command: 'echo mine' }] }] } });
  const r = run(['--settings', mine, '-p', 'x']);
  const a = r.out!.args;
  assert.equal(a.filter((x) => x === '--settings').length, 1);
  const merged = JSON.parse(r.out!.settings!);
  assert.equal(merged.model, 'opus');
  const stops = merged.hooks.Stop.flatMap((g: { hooks: { command: string }[] }) => g.hooks.map((h) => h.command));
  assert.ok(stops.includes('echo mine'));
  assert.ok(stops.some((c: string) => c.endsWith(' Stop')));
  assert.ok(!existsSync(a[a.indexOf('--settings') + 1]), 'the merged temp file is removed after the session');
});

test('channels on adds the development-channels flag before --settings', { skip }, () => {
  installShim(shimDir, cfg({ channels: true }));
  try {
    const a = run(['hello']).out!.args;
    const i = a.indexOf('--dangerously-load-development-channels');
    assert.ok(i >= 0 && a[i + 1] === 'server:claude-peers' && i < a.indexOf('--settings'));
    assert.equal(a.at(-1), 'hello');
  } finally {
    installShim(shimDir, cfg());
  }
});

test('enrolment off, or the runtime gone, runs the real claude unchanged', { skip }, () => {
  installShim(shimDir, cfg({ enabled: false }));
  assert.deepEqual(run(['-p', 'x']).out!.args, ['-p', 'x']);
  installShim(shimDir, cfg({ runtime: { node: join(root, 'no-such-node'), cli: CLI, hook: CLI, electron: true } }));
  const r = run(['-p', 'y']);
  assert.deepEqual(r.out!.args, ['-p', 'y']);
  assert.equal(r.out!.env.ELECTRON_RUN_AS_NODE, undefined);
  installShim(shimDir, cfg());
});

test('exit codes pass through; a missing claude is a clear error', { skip }, () => {
  assert.equal(run(['-p', 'x'], { FAKE_EXIT: '3' }).status, 3);
  const r = spawnSync(join(shimDir, 'claude'), ['-p', 'x'], { encoding: 'utf8', env: { PATH: `${shimDir}:/usr/bin:/bin`, HOME: root } });
  assert.equal(r.status, 127);
  assert.match(r.stderr, /real "claude" was not found on PATH.*Install Claude Code/);
});
