import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseHookInput, renderOutcome, seenMessageIds, toolFilePath } from '../../src/hooks/run-hook.ts';
import { hookSettings, shellQuote } from '../../src/hooks/settings.ts';
import type { HookResponse, Peer } from '../../src/protocol/wire.ts';
import { tempHome } from '../support/processes.ts';

test('hook stdin: anything that is not an object is an empty input; wrong types are dropped', () => {
  for (const bad of ['', 'null', '[]', '42', '{', '"x"', '\u0000']) assert.deepEqual(parseHookInput(bad), {});
  const p = parseHookInput(JSON.stringify({ hook_event_name: 'Stop', cwd: 5, tool_input: 'nope', extra: { deep: 1 } }));
  assert.equal(p.hook_event_name, 'Stop');
  assert.equal(p.cwd, undefined);
  assert.equal(p.tool_input, undefined);
});

test('tool file paths are absolute and resolved through symlinks', () => {
  const dir = tempHome();
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'a.ts'), '');
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  const real = toolFilePath({ tool_input: { file_path: join(dir, 'link', 'a.ts') } }, '/');
  assert.ok(real!.endsWith(join('real', 'a.ts')));
  assert.ok(toolFilePath({ tool_input: { file_path: join(dir, 'link', 'new.ts') } }, '/')!.endsWith(join('real', 'new.ts')));
  assert.equal(toolFilePath({ tool_input: { file_path: 'rel/x.ts' } }, dir), join(dir, 'rel', 'x.ts'));
  assert.equal(toolFilePath({ tool_input: { notebook_path: '/n.ipynb' } }, '/'), '/n.ipynb');
  assert.equal(toolFilePath({ tool_input: { file_path: 'a\u0000b' } }, '/'), null);
  assert.equal(toolFilePath({ tool_input: {} }, '/'), null);
});

test('message ids the model saw through a channel are found in the prompt and the transcript', () => {
  const dir = tempHome();
  const transcript = join(dir, 't.jsonl');
  writeFileSync(transcript, JSON.stringify({ message: { content: '<channel source="claude-peers" message_id="12" from_name="x">hi</channel>' } }) + '\n');
  const ids = seenMessageIds({ prompt: '<channel source="claude-peers" from_id="p" message_id="5">yo</channel>', transcript_path: transcript });
  assert.deepEqual(ids.sort((a, b) => a - b), [5, 12]);
  assert.deepEqual(seenMessageIds({ prompt: '<channel source="other" message_id="9">', transcript_path: '/nonexistent' }), []);
});

const peer = { id: 'p_1', name: 'me', status: 'working', files: [] } as unknown as Peer;
const res = (over: Partial<HookResponse> = {}): HookResponse => ({ peer, messages: [], conflicts: [], ...over });
const m = { id: 3, fromId: 'p_2', fromName: 'calm-otter', fromKind: 'peer', fromCwd: null, fromRepo: null, toId: 'p_1', toName: 'me', body: 'ping', replyTo: null, broadcast: null, sentAt: 'now', state: 'queued' } as const;

test('hook outputs per event', () => {
  assert.equal(renderOutcome('PostToolUse', {}, res(), 'warn').stdout, '');
  const post = JSON.parse(renderOutcome('PostToolUse', {}, res({ messages: [m] }), 'warn').stdout);
  assert.equal(post.hookSpecificOutput.hookEventName, 'PostToolUse');
  assert.match(post.hookSpecificOutput.additionalContext, /ping/);
  const stop = JSON.parse(renderOutcome('Stop', {}, res({ messages: [m] }), 'warn').stdout);
  assert.equal(stop.decision, 'block');
  assert.equal(renderOutcome('Stop', { stop_hook_active: true }, res({ messages: [m] }), 'warn').stdout, '', 'blocks once, never loops');
  const conflict = { path: '/w/a.ts', peers: [{ id: 'p_2', name: 'calm-otter', at: 't', how: 'edit' as const }] };
  const warn = JSON.parse(renderOutcome('PreToolUse', {}, res({ conflicts: [conflict] }), 'warn').stdout);
  assert.match(warn.hookSpecificOutput.additionalContext, /calm-otter/);
  const ask = JSON.parse(renderOutcome('PreToolUse', {}, res({ conflicts: [conflict] }), 'ask').stdout);
  assert.equal(ask.hookSpecificOutput.permissionDecision, 'ask');
  assert.equal(renderOutcome('PreToolUse', {}, res({ conflicts: [conflict] }), 'off').stdout, '');
  const start = JSON.parse(renderOutcome('SessionStart', {}, res({ peers: [{ ...peer, id: 'p_9', name: 'bold-fox', cwd: '/w', gitRoot: null, branch: null, summary: 'tests' } as Peer] }), 'warn').stdout);
  assert.match(start.hookSpecificOutput.additionalContext, /bold-fox/);
});

test('hook settings cover every event with a short timeout and quote paths', () => {
  const s = hookSettings((ev) => `node ${shellQuote('/path with space/cli.js')} hook ${ev}`);
  assert.deepEqual(Object.keys(s.hooks).sort(), ['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'Stop', 'UserPromptSubmit']);
  assert.match(s.hooks.Stop[0].hooks[0].command, /'\/path with space\/cli\.js' hook Stop/);
  const waiter = s.hooks.Stop[0].hooks[1];
  assert.match(waiter.command, / hook wait$/);
  assert.equal(waiter.asyncRewake, true, 'the idle waiter must be an asyncRewake hook');
  assert.ok(s.hooks.PreToolUse[0].matcher!.includes('Write'));
});
