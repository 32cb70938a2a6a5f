// The Claude Code plugin, installed the way `claude-peers setup-claude` and the extension's Copy
// Setup say (claude plugin marketplace add + install, user scope), with the real CLI in its
// default permission mode and nothing else of ours on the command line: a plain `claude -p` gets
// our MCP server (its tools under the plugin's prefix) and hooks through the plugin's launcher,
// which finds the broker's port and our bundles in runtime.env; the allow rule the guide names
// lets our tools run without a prompt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Message, Peer } from '../../src/protocol/wire.ts';
import { PLUGIN_TOOL_PREFIX } from '../../src/protocol/framing.ts';
import { loadConfig } from '../../src/common/config.ts';
import { currentRuntime } from '../../src/common/launch-config.ts';
import { outsideSetup, writeStablePlugin } from '../../src/common/setup-guide.ts';
import { claudeEnv, gitRepo, runClaude, startWorld, type World } from '../support/claude-cli.ts';
import { calledTools, callMcp, isMainLoop, lastResultOf, requestText, text, toolUse } from '../support/fake-anthropic.ts';
import { waitFor } from '../support/processes.ts';

let w: World;
let repo: string;
let pluginDir: string;
let env: NodeJS.ProcessEnv;
const tool = (name: string) => `${PLUGIN_TOOL_PREFIX}${name}`;

before(async () => {
  ({ repo } = gitRepo());
  w = await startWorld({ cwd: repo });
  env = claudeEnv(w);
  // Only what a user's shell has: the plugin's launcher learns the port from runtime.env, which
  // the broker (`claude-peers broker`, here on an ephemeral port) wrote.
  delete env.CLAUDE_PEERS_PORT;
  delete env.IS_SANDBOX;
  assert.match(readFileSync(join(w.brokerHome, 'runtime.env'), 'utf8'), new RegExp(`^env CLAUDE_PEERS_PORT=${w.brokerPort}$`, 'm'));
  pluginDir = writeStablePlugin(loadConfig({ CLAUDE_PEERS_HOME: w.brokerHome }), '0.1.0-test');
});
after(async () => { await w?.close(); });

test('the two commands of the setup install the plugin for every project of the user', { timeout: 60_000 }, async () => {
  const setup = outsideSetup(currentRuntime(resolve(__dirname, '../../dist')), pluginDir);
  for (const line of setup.pluginCommands.split('\n')) {
    const [cmd, ...args] = line.split(' ');
    assert.equal(cmd, 'claude');
    const r = await runClaude(args, { env, cwd: w.home, timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${line}\n${r.stdout}\n${r.stderr}`);
  }
  // The allow rule, as the guide tells the user to add it.
  const settingsPath = join(w.home, '.claude', 'settings.json');
  const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
  assert.equal(settings.enabledPlugins?.['claude-peers@claude-peers'], true, JSON.stringify(settings));
  settings.permissions = { ...settings.permissions, allow: [...(settings.permissions?.allow ?? []), setup.pluginAllowRule] };
  mkdirSync(join(w.home, '.claude'), { recursive: true });
  writeFileSync(settingsPath, JSON.stringify(settings, null, 2));
});

test('a plain claude -p in default mode: the plugin\'s hooks record a Write, its tools need no prompt, a message is handed over', { timeout: 120_000 }, async () => {
  const other = await w.addPeer({ cwd: repo });
  const file = join(repo, 'plugin-notes.md');
  const mine = async () => (await w.broker.client.get<{ peers: Peer[] }>('/peers')).peers.find((p) => p.cwd === repo && p.id !== other.id && p.kind === 'peer');
  let me: Peer | undefined;
  let handedOver = '';
  w.fake.setScript(async (r) => {
    if (!isMainLoop(r.body)) return [text('side request')];
    const called = calledTools(r.body);
    if (!called.includes('Write')) return [toolUse('Write', { file_path: file, content: 'hello\n' })];
    if (!me) {
      me = await waitFor(mine, 10_000, 'the plugin\'s MCP server to register the session');
      await other.peer.call('send_message', { to: me.id, message: 'hello from the other peer' });
      return [toolUse('Read', { file_path: file })];
    }
    if (!handedOver && requestText(r.body).includes('hello from the other peer')) handedOver = requestText(r.body);
    if (!called.includes(tool('set_summary'))) return [callMcp(r.body, tool('set_summary'), { summary: 'testing the plugin' })];
    return [text('DONE')];
  });
  const run = await runClaude(['-p', 'Write the notes.', '--allowedTools', 'Write', 'Read'], { env, cwd: repo, timeoutMs: 90_000 });
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /DONE/);
  const peer = await waitFor(async () => (await w.broker.client.get<{ peers: Peer[] }>('/peers?all=1')).peers.find((p) => p.id === me!.id && p.summary), 10_000, 'the summary');
  assert.equal(peer.files[0]?.path, file, 'the plugin\'s PostToolUse hook recorded the Write');
  assert.equal(peer.summary, 'testing the plugin', 'set_summary ran without a permission prompt');
  const result = w.fake.messages().map((r) => lastResultOf(r.body, tool('set_summary'))).find(Boolean);
  assert.equal(result?.isError, false, result?.text);
  assert.ok(handedOver, 'the plugin\'s PostToolUse hook handed the message over');
  assert.ok(handedOver.includes(tool('send_message')), 'the hand-over names the tools as the plugin\'s session sees them');
  const inbox = (await w.broker.client.get<{ messages: Message[] }>(`/peers/${me!.id}/inbox?state=all`)).messages;
  assert.deepEqual(inbox.map((m) => m.state), ['read']);
});
