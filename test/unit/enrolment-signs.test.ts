// The signs that a claude in a VS Code terminal started without the peer network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  bypassAdvice, claudeSessionArgs, claudeUnderShell, descendantsOf, environOf, looksLikeClaude, readProcTable, type ProcInfo,
} from '../../src/extension/enrolment-signs.ts';

test('command lines that start a claude session, and those that do not', () => {
  assert.deepEqual(claudeSessionArgs('claude'), []);
  assert.deepEqual(claudeSessionArgs('  claude --permission-mode acceptEdits'), ['--permission-mode', 'acceptEdits']);
  assert.deepEqual(claudeSessionArgs('/home/u/.local/bin/claude -p "hello"'), ['-p', 'hello']);
  assert.deepEqual(claudeSessionArgs('FOO=1 command claude -n worker'), ['-n', 'worker']);
  assert.deepEqual(claudeSessionArgs('claude -c | tee log'), ['-c']);
  assert.deepEqual(claudeSessionArgs('C:\\Users\\u\\bin\\claude.exe'), []);
  // Management commands never join, nor do other programs.
  for (const line of ['claude mcp list', 'claude --version', 'claude -h', 'claude doctor', 'claude update', 'claude-peers status', 'echo claude', 'vim claude.md', '']) {
    assert.equal(claudeSessionArgs(line), null, line);
  }
});

const proc = (pid: number, ppid: number, comm: string, cmdline: string): ProcInfo => ({ pid, ppid, comm, cmdline });
// A terminal shell (100) running our shim (101) → claude (102) → its MCP server and a hook; a second
// shell (200) running a claude the shim did not start (201); an unrelated claude (301).
const table = [
  proc(1, 0, 'init', '/sbin/init'),
  proc(100, 1, 'bash', '/bin/bash --init-file x'),
  proc(101, 100, 'node', '/vscode/node /ext/dist/cli.js claude-shim --permission-mode acceptEdits'),
  proc(102, 101, 'claude', '/home/u/.local/bin/claude --mcp-config /x/mcp.json'),
  proc(103, 102, 'node', '/vscode/node /ext/dist/cli.js mcp'),
  proc(104, 102, 'sh', 'sh -c /vscode/node /ext/dist/cli.js hook PostToolUse'),
  proc(200, 1, 'bash', '/bin/bash'),
  proc(201, 200, 'claude', '/home/u/.local/bin/claude'),
  proc(300, 1, 'bash', '/bin/bash'),
  proc(301, 300, 'node', 'node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js'),
];

test('descendants of a shell, nearest first; what looks like Claude Code', () => {
  assert.deepEqual(descendantsOf(100, table).map((p) => p.pid), [101, 102, 103, 104]);
  assert.deepEqual(descendantsOf(200, table).map((p) => p.pid), [201]);
  assert.deepEqual(table.filter(looksLikeClaude).map((p) => p.pid), [102, 201, 301]);
});

test('a claude started by the shim has joined; one that is not is bypassed; none, or no /proc, tells nothing', () => {
  const env = (pid: number, name: string) => (pid === 102 && name === 'CLAUDE_PEERS_SHIM_ACTIVE' ? '1' : undefined);
  assert.deepEqual(claudeUnderShell(100, table, env), { verdict: 'joined', pid: 102 });
  assert.deepEqual(claudeUnderShell(200, table, env), { verdict: 'bypassed', pid: 201 });
  assert.deepEqual(claudeUnderShell(1, table.filter((p) => p.pid < 200), env), { verdict: 'joined', pid: 102 });
  assert.deepEqual(claudeUnderShell(999, table, env), { verdict: 'none' });
  assert.deepEqual(claudeUnderShell(100, [], env), { verdict: 'unknown' });
});

test('on Linux, the process table and environments are read from /proc', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  const child = spawn('sleep', ['30'], { env: { ...process.env, CP_SIGN_TEST: 'yes' }, stdio: 'ignore' });
  try {
    await new Promise((r) => child.once('spawn', r));
    const mine = readProcTable();
    assert.ok(mine.some((p) => p.pid === child.pid && p.ppid === process.pid && p.comm === 'sleep'), 'the child is in the table under this process');
    // (tsx may have an esbuild service running under this process too)
    assert.ok(descendantsOf(process.pid, mine).some((p) => p.pid === child.pid));
    assert.equal(environOf(child.pid!, 'CP_SIGN_TEST'), 'yes');
    assert.equal(environOf(child.pid!, 'CP_NOT_SET'), undefined);
  } finally {
    child.kill('SIGKILL');
  }
});

test('each cause gets a message that says what happened and what to do, with its fixes', () => {
  const stale = bypassAdvice('stale-terminal', 'bash');
  assert.match(stale.message, /terminal "bash" started without the peer network: the terminal was opened before/);
  assert.deepEqual(stale.actions, ['Relaunch Terminal', 'Copy Setup']);
  const off = bypassAdvice('no-shell-integration', 'bash');
  assert.match(off.message, /shell integration.* is not running/);
  assert.match(off.message, /terminal\.integrated\.shellIntegration\.enabled/);
  assert.deepEqual(off.actions, ['Copy Setup', 'Open Setting']);
  const shadowed = bypassAdvice('shadowed', 'zsh');
  assert.match(shadowed.message, /type -a claude/);
  assert.deepEqual(shadowed.actions, ['Copy Setup']);
});
