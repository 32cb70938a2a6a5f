// Locks (issue 6) with the real CLI: while another peer holds the repository's git lock, a
// `git commit` the model runs is stopped by our PreToolUse hook, and the model is told who holds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockName } from '../../src/common/lock-commands.ts';
import { gitRepo, runPrint, startWorld, type World } from '../support/claude-cli.ts';
import { calledTools, isMainLoop, lastResultOf, text, toolUse } from '../support/fake-anthropic.ts';

let w: World;
let repo: string;
let git: (...args: string[]) => string;

before(async () => {
  ({ repo, git } = gitRepo());
  w = await startWorld({ cwd: repo });
});
after(async () => { await w?.close(); });

test('a git commit while a peer holds git:<repo> is stopped, and the model learns who holds it', { timeout: 60_000 }, async () => {
  const holder = await w.addPeer({ cwd: repo });
  const name = lockName('git', repo);
  const took = await holder.peer.call('acquire_lock', { name, reason: 'rebasing feature/login onto main', ttl_seconds: 120 });
  assert.equal(took.structured.granted, true, took.text);

  writeFileSync(join(repo, 'change.txt'), 'x\n');
  let result: { text: string; isError: boolean } | undefined;
  w.fake.setScript((r) => {
    if (!isMainLoop(r.body)) return [text('side request')];
    if (!calledTools(r.body).includes('Bash')) {
      return [toolUse('Bash', { command: 'git add change.txt && git commit -m "add change"', description: 'commit the change' })];
    }
    result = lastResultOf(r.body, 'Bash');
    return [text('I will wait for the lock.')];
  });
  const run = await runPrint(w, 'Commit change.txt', { env: { GIT_CONFIG_NOSYSTEM: '1' } });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(result, 'the model got a result for its Bash call');
  assert.equal(result.isError, true, `the command was refused: ${result.text}`);
  assert.ok(result.text.includes(`The lock "${name}" is held by peer ${holder.name}`), result.text);
  assert.match(result.text, /rebasing feature\/login onto main/);
  assert.match(result.text, /mcp__claude-peers__send_message/);
  assert.equal(git('rev-list', '--count', 'HEAD'), '1', 'nothing was committed');
  assert.equal(git('status', '--porcelain'), '?? change.txt', 'nothing was staged either');
});

test('once the holder releases the lock, the same commit goes through and the hook\'s own lock is freed', { timeout: 60_000 }, async () => {
  const holder = w.peers[0];
  const name = lockName('git', repo);
  const released = await holder.call('release_lock', { name });
  assert.match(released.text, /^Released/, released.text);
  let result: { text: string; isError: boolean } | undefined;
  w.fake.setScript((r) => {
    if (!isMainLoop(r.body)) return [text('side request')];
    if (!calledTools(r.body).includes('Bash')) return [toolUse('Bash', { command: 'git add change.txt && git commit -q -m "add change"' })];
    result = lastResultOf(r.body, 'Bash');
    return [text('committed')];
  });
  const again = await runPrint(w, 'Commit change.txt now', { env: { GIT_CONFIG_NOSYSTEM: '1' } });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(result?.isError, false, result?.text);
  assert.equal(git('rev-list', '--count', 'HEAD'), '2', 'committed once the lock was free');
  const { locks } = await w.broker.client.get<{ locks: { name: string; holder: unknown }[] }>('/locks');
  assert.ok(!locks.some((l) => l.name === name && l.holder), `the hook released its automatic lock: ${JSON.stringify(locks)}`);
});
