import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../src/broker/sqlite.ts';
import { Store } from '../../src/broker/store.ts';
import { Coordination, globMatch } from '../../src/broker/coordination.ts';
import { locksForCommand } from '../../src/common/lock-commands.ts';
import { tempHome } from '../support/processes.ts';

function setup() {
  let now = 1_000_000;
  const clock = () => now;
  const { db } = openDatabase(join(tempHome(), 'peers.db'));
  const store = new Store(db, { ttlMs: 1000, conflictWindowMs: 60_000, now: clock });
  const coord = new Coordination(db, clock);
  const [a, b, c] = [1, 2, 3].map((pid) => store.upsertPeer({ pid, cwd: '/w', keyHash: `k${pid}` }));
  return { store, coord, a, b, c, tick: (ms: number) => { now += ms; } };
}

test('locks: exclusive, fair queue, explicit release, TTL expiry', () => {
  const { coord, a, b, c, tick } = setup();
  assert.equal(coord.acquire(a.id, 'git:/w', 10_000, 'rebase').granted, true);
  const rb = coord.acquire(b.id, 'git:/w', 10_000, 'commit');
  assert.equal(rb.granted, false);
  assert.equal(rb.granted === false && rb.position, 1);
  assert.equal(rb.lock.holder?.name, a.name);
  const rc = coord.acquire(c.id, 'git:/w', 10_000, 'pull');
  assert.equal(rc.granted === false && rc.position, 2);
  assert.equal(coord.acquire(a.id, 'git:/w', 10_000, null).granted, true, 're-acquire extends');
  assert.ok(coord.release('git:/w', a.id));
  assert.equal(coord.acquire(c.id, 'git:/w', 10_000, 'pull').granted, false, 'c may not jump the queue');
  assert.equal(coord.acquire(b.id, 'git:/w', 10_000, 'commit').granted, true, 'b was first in line');
  tick(10_001);
  assert.equal(coord.acquire(c.id, 'git:/w', 10_000, 'pull').granted, true, 'an expired lock frees itself');
});

test('locks die with their holder', () => {
  const { store, coord, a, b } = setup();
  coord.acquire(a.id, 'npm-install:/w', 60_000, 'npm ci');
  store.sweep((pid) => pid !== 1, () => true);
  coord.cleanup();
  assert.equal(coord.acquire(b.id, 'npm-install:/w', 60_000, null).granted, true);
});

test('a human can break a lock; auto locks are released together', () => {
  const { coord, a } = setup();
  coord.acquire(a.id, 'deploy', 60_000, 'manual');
  assert.ok(coord.release('deploy', null, true));
  coord.acquire(a.id, 'git:/w', 60_000, 'auto: git commit');
  coord.acquire(a.id, 'npm-install:/w', 60_000, 'auto: npm ci');
  coord.acquire(a.id, 'mine', 60_000, 'by hand');
  assert.deepEqual(coord.releaseAuto(a.id).sort(), ['git:/w', 'npm-install:/w']);
  assert.deepEqual(coord.locks().map((l) => l.name), ['mine']);
});

test('a folder claim with brackets in its name covers the files below it', () => {
  assert.equal(globMatch('/w/app/[id]', '/w/app/[id]/page.tsx'), true);
  assert.equal(globMatch('/w/app/[id]', '/w/app/i/page.tsx'), false, 'brackets are not a character class');
  assert.equal(globMatch('/w/app/[id]/*.tsx', '/w/app/[id]/page.tsx'), true);
});

test('claims: globs and folders match; others\' claims are conflicts', () => {
  const { coord, a, b } = setup();
  coord.claim(a.id, ['/w/src/auth/**', '/w/docs'], 'auth rewrite', 60_000);
  assert.equal(coord.claimsOn('/w/src/auth/deep/x.ts', b.id)[0].peers[0].name, a.name);
  assert.equal(coord.claimsOn('/w/docs/api.md', b.id).length, 1);
  assert.deepEqual(coord.claimsOn('/w/src/auth/x.ts', a.id), [], 'your own claim is no conflict');
  assert.deepEqual(coord.claimsOn('/w/src/other.ts', b.id), []);
  assert.equal(coord.unclaim(a.id, null), 2);
  assert.deepEqual(coord.claims(), []);
  assert.ok(globMatch('/w/*.ts', '/w/a.ts'));
  assert.ok(!globMatch('/w/*.ts', '/w/sub/a.ts'));
  assert.ok(globMatch('/w/**/*.test.ts', '/w/a/b/c.test.ts'));
  assert.ok(globMatch('/w/file?.md', '/w/file1.md'));
});

test('commands that need a lock', () => {
  assert.deepEqual(locksForCommand('git commit -m "x"'), ['git']);
  assert.deepEqual(locksForCommand('git -C /repo --no-pager rebase main'), ['git']);
  assert.deepEqual(locksForCommand('git status && git diff'), []);
  assert.deepEqual(locksForCommand('cd app && npm ci && git push'), ['git', 'npm-install']);
  assert.deepEqual(locksForCommand('FOO=1 pnpm install --frozen-lockfile'), ['npm-install']);
  assert.deepEqual(locksForCommand('yarn'), ['npm-install']);
  assert.deepEqual(locksForCommand('npm run build; npm test'), []);
  assert.deepEqual(locksForCommand('/usr/bin/git stash pop'), ['git']);
  assert.deepEqual(locksForCommand('echo git commit'), []);
});
