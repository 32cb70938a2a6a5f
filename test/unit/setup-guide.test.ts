// The setup for sessions outside VS Code: what setup-claude prints and Copy Setup copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/common/config.ts';
import { outsideSetup, launcherIn, stablePluginDir, writeStablePlugin } from '../../src/common/setup-guide.ts';
import type { Runtime } from '../../src/common/launch-config.ts';
import { tempHome } from '../support/processes.ts';

const rt: Runtime = { node: '/opt/VS Code/code', cli: '/ext/claude-peers-0.1.0/dist/cli.js', hook: '/ext/claude-peers-0.1.0/dist/hook.js', electron: true, env: {} };

test('the plugin commands name the marketplace folder, quoted; the allow rule is the plugin\'s prefix', () => {
  const s = outsideSetup(rt, '/home/a b/.claude-peers/claude-code-plugin', 'linux');
  assert.equal(s.pluginCommands, "claude plugin marketplace add '/home/a b/.claude-peers/claude-code-plugin'\nclaude plugin install claude-peers@claude-peers");
  assert.equal(s.pluginAllowRule, 'mcp__plugin_claude-peers_claude-peers');
  assert.ok(s.guide.includes(s.pluginCommands));
});

test('on POSIX the plain setup runs the stable launcher, never a path with the extension version', () => {
  const dir = '/h/.claude-peers/claude-code-plugin';
  const s = outsideSetup(rt, dir, 'darwin');
  const plain = s.guide.slice(s.guide.indexOf('# 3.'), s.guide.indexOf('# Real-time'));
  assert.ok(plain.includes(`claude mcp add-json -s user claude-peers '{"type":"stdio","command":"${launcherIn(dir)}","args":["mcp"]}'`), plain);
  assert.ok(plain.includes(`"command": "${launcherIn(dir)} hook PostToolUse"`), plain);
  assert.ok(!plain.includes('claude-peers-0.1.0'), plain);
  // --json is for scripts on this machine now: this runtime's own files.
  assert.equal(s.json.mcpConfig.mcpServers['claude-peers']!.command, rt.node);
  assert.deepEqual(s.json.settings.permissions, { allow: ['mcp__claude-peers'] });
});

test('on Windows (no sh for the launcher) the plain setup names this runtime and says to redo it after an update', () => {
  const s = outsideSetup(rt, 'C:\\Users\\a\\.claude-peers\\claude-code-plugin', 'win32');
  assert.match(s.guide, /claude mcp add-json -s user claude-peers .*\/ext\/claude-peers-0\.1\.0\/dist\/cli\.js/);
  assert.match(s.guide, /set them up again after an update/);
});

test('the stable plugin folder is private, its launcher executable, and a new version replaces the old', { skip: process.platform === 'win32' && 'POSIX modes' }, () => {
  const cfg = loadConfig({ CLAUDE_PEERS_HOME: join(tempHome(), 'peers') });
  const dir = writeStablePlugin(cfg, '1.0.0');
  assert.equal(dir, stablePluginDir(cfg));
  writeFileSync(join(dir, 'left-over'), 'x');
  writeStablePlugin(cfg, '1.1.0');
  assert.ok(!existsSync(join(dir, 'left-over')), 'nothing of the old copy is kept');
  assert.equal(JSON.parse(readFileSync(join(dir, 'claude-peers/.claude-plugin/plugin.json'), 'utf8')).version, '1.1.0');
  assert.equal(statSync(launcherIn(dir)).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'claude-peers/.mcp.json')).mode & 0o777, 0o600);
  assert.equal(statSync(cfg.home).mode & 0o777, 0o700);
});
