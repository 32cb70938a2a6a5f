import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../src/broker/sqlite.ts';
import { MIGRATIONS, migrate } from '../../src/broker/migrations.ts';
import { Store, type Sender } from '../../src/broker/store.ts';
import { ApiError } from '../../src/broker/errors.ts';
import { PeerService } from '../../src/broker/service.ts';
import { RateLimiter } from '../../src/broker/rate-limit.ts';
import { pickName, cleanName } from '../../src/broker/names.ts';
import { tempHome } from '../support/processes.ts';
import { DRIVERS } from '../support/drivers.ts';

function makeStore(now = () => Date.now()) {
  const { db } = openDatabase(join(tempHome(), 'peers.db'));
  return new Store(db, { ttlMs: 1000, conflictWindowMs: 60_000, now });
}
const reg = (s: Store, pid: number, cwd = '/w/a', extra = {}) => s.upsertPeer({ pid, cwd, gitRoot: '/w', keyHash: `key-of-${pid}`, ...extra });

/** A send as the broker makes it (the service resolves, the store stores), in a transaction of its own. */
function send(s: Store, m: { sender: Sender | null; to: string; body: string; replyTo?: number; humanName?: string }) {
  return s.db.transaction(() => svc(s).sendWithin({ senderId: m.sender?.id ?? null, humanName: m.humanName ?? 'human', to: m.to, body: m.body, replyTo: m.replyTo ?? null }));
}
const services = new WeakMap<Store, PeerService>();
function svc(s: Store): PeerService {
  let v = services.get(s);
  if (!v) services.set(s, (v = new PeerService({ store: s, secrets: { token: 'a'.repeat(64), joinToken: 'b'.repeat(64) }, limiter: new RateLimiter({ messagesPerMin: 0, requestsPerMin: 0 }) })));
  return v;
}

test('a peer is keyed by its claude pid: re-registering keeps id and name', () => {
  const s = makeStore();
  const a = reg(s, 100, '/w/a', { preferredName: 'Builder' });
  assert.equal(a.name, 'builder');
  const again = reg(s, 100, '/w/b', { sessionId: 'new-session-after-clear' });
  assert.equal(again.id, a.id);
  assert.equal(again.name, 'builder');
  assert.equal(again.cwd, '/w/b');
  assert.equal(again.sessionId, 'new-session-after-clear');
  const b = reg(s, 101);
  assert.notEqual(b.id, a.id);
  assert.notEqual(b.name, a.name);
});

test('a reused pid with another start time is a new peer', () => {
  const s = makeStore();
  const a = reg(s, 200, '/w', { pidStart: '111', keyHash: 'first-process' });
  const b = reg(s, 200, '/w', { pidStart: '222', keyHash: 'second-process' });
  assert.notEqual(a.id, b.id);
});

test('a session is its key: a live claude process cannot be taken over under another key', () => {
  const s = makeStore();
  const a = reg(s, 300, '/w', { pidStart: '9', keyHash: 'mine' });
  assert.throws(() => reg(s, 300, '/w', { pidStart: '9', keyHash: 'theirs' }), (e: ApiError) => e.status === 409 && e.code === 'session_taken');
  assert.equal(reg(s, 300, '/w/moved', { pidStart: '9', keyHash: 'mine' }).id, a.id, 'the same key comes back to the same peer');
  assert.equal(s.peerIdByKeyHash('mine'), a.id);
  s.markGone(a.id);
  // Once the session is gone, its process may join again under a new key (a restarted MCP server without the old file).
  assert.equal(reg(s, 300, '/w', { pidStart: '9', keyHash: 'new' }).id, a.id);
});

test('names are unique among live peers and sanitised', () => {
  const taken = new Set(['calm-otter']);
  let i = 0;
  const seq = [0.1, 0.1, 0.5, 0.5];
  const n = pickName(taken, null, () => seq[i++ % seq.length]);
  assert.ok(!taken.has(n));
  assert.equal(pickName(new Set(['x-y']), 'X Y'), 'x-y-2');
  assert.equal(cleanName('  Feature/Auth!! '), 'feature-auth');
  // Names nobody may take, and characters that could pose as someone else or break a line.
  for (const reserved of ['human', 'System', 'USER', 'claude-peers', 'machine', 'repo']) assert.equal(cleanName(reserved), null, reserved);
  assert.equal(cleanName('calm\u202eotter'), 'calmotter');
  assert.equal(cleanName('calm\notter'), 'calm-otter');
  assert.equal(cleanName('c\u200balm-ötter'), 'calm-otter');
  assert.equal(cleanName('\u0441alm-otter'), 'alm-otter', 'a Cyrillic look-alike is not folded into the Latin name');
});

test('messages: queued → delivered → read, never backwards; order per sender kept', () => {
  const s = makeStore();
  const a = reg(s, 1), b = reg(s, 2);
  const ids = [1, 2, 3].map((k) => send(s, { sender: a, to: b.name, body: `m${k}` })[0].id);
  assert.deepEqual(s.inbox(b.id).map((m) => m.body), ['m1', 'm2', 'm3']);
  assert.deepEqual(s.setState(b.id, [ids[0]], 'read'), [ids[0]]);
  assert.deepEqual(s.setState(b.id, [ids[0]], 'delivered'), [], 'read never goes back to delivered');
  assert.deepEqual(s.setState(b.id, [ids[1]], 'delivered'), [ids[1]]);
  assert.deepEqual(s.inbox(b.id).map((m) => [m.body, m.state]), [['m2', 'delivered'], ['m3', 'queued']]);
  assert.equal(s.inbox(a.id).length, 0, 'the sender gets nothing');
});

test('reply_to threading, broadcast scopes and unknown recipients', () => {
  const s = makeStore();
  const a = reg(s, 1, '/w/a'), b = reg(s, 2, '/w/a'), c = reg(s, 3, '/w/c'), d = s.upsertPeer({ pid: 4, cwd: '/elsewhere', keyHash: 'key-of-4' });
  const q = send(s, { sender: a, to: b.id, body: 'question' })[0];
  const r = send(s, { sender: b, to: a.name, body: 'answer', replyTo: q.id })[0];
  assert.equal(r.replyTo, q.id);
  assert.throws(() => send(s, { sender: b, to: a.name, body: 'x', replyTo: 9999 }), (e: ApiError) => e.code === 'unknown_message');
  assert.deepEqual(send(s, { sender: a, to: 'directory', body: 'dir' }).map((m) => m.toId), [b.id]);
  assert.deepEqual(send(s, { sender: a, to: 'repo', body: 'repo' }).map((m) => m.toId).sort(), [b.id, c.id].sort());
  assert.equal(send(s, { sender: a, to: 'machine', body: 'all' }).length, 3);
  assert.deepEqual(send(s, { sender: null, to: 'under:/w', body: 'human' }).map((m) => m.toId).sort(), [a.id, b.id, c.id].sort());
  assert.equal(d.gitRoot, null);
  assert.throws(() => send(s, { sender: a, to: 'nobody-here', body: 'x' }), (e: ApiError) => e.status === 404 && /Live peers/.test(e.message));
  const h = send(s, { sender: a, to: 'human', body: 'hi human' })[0];
  assert.equal(h.toId, 'human');
  assert.equal(s.inbox('human')[0].body, 'hi human');
});

test('a send returns exactly the rows it stored; a refused send inside a batch writes nothing', () => {
  const s = makeStore();
  const a = reg(s, 1, '/w/a', { branch: 'main' }), b = reg(s, 2, '/w/a'), c = reg(s, 3, '/w/c');
  const q = send(s, { sender: a, to: b.id, body: 'q' })[0];
  const sent = [
    ...send(s, { sender: a, to: 'repo', body: 'to the repo', replyTo: q.id }),
    ...send(s, { sender: null, humanName: 'human (VS Code)', to: b.name, body: 'from a human' }),
  ];
  const read = [...s.inbox(b.id), ...s.inbox(c.id)].filter((m) => m.id !== q.id);
  const key = (m: { id: number; toId: string }) => `${m.id}:${m.toId}`;
  assert.deepEqual([...sent].sort((x, y) => key(x).localeCompare(key(y))), [...read].sort((x, y) => key(x).localeCompare(key(y))), 'built rows equal stored rows');
  assert.equal(sent[0].fromRepo, '/w');
  assert.equal(sent[2].fromName, 'human (VS Code)');

  // The group commit's way: several sends in one transaction, refusals in between.
  const before = s.recentMessages(1000).length;
  const within = (to: string, body: string, replyTo: number | null = null) => svc(s).sendWithin({ senderId: a.id, humanName: 'human', to, body, replyTo });
  s.db.transaction(() => {
    within(b.id, 'one');
    assert.throws(() => within('nobody', 'x'), ApiError);
    assert.throws(() => within(b.id, 'x', 424242), ApiError);
    within(b.id, 'two');
  });
  const after = s.recentMessages(1000);
  assert.equal(after.length, before + 2);
  assert.deepEqual(after.slice(-2).map((m) => m.body), ['one', 'two']);
});

test('sweep marks dead or silent peers gone; a gone peer returning keeps its inbox', () => {
  let now = 1_000_000;
  const s = makeStore(() => now);
  const a = reg(s, 1), b = reg(s, 2);
  send(s, { sender: a, to: b.id, body: 'while you were away' });
  const dead = new Set([2]);
  assert.deepEqual(s.sweep((pid) => !dead.has(pid), () => false).map((p) => p.id), [b.id]);
  assert.deepEqual(s.listPeers().map((p) => p.id), [a.id]);
  now += 5000; // a's heartbeat is now stale, but its stream is open
  assert.deepEqual(s.sweep(() => true, (id) => id === a.id), []);
  assert.deepEqual(s.sweep(() => true, () => false).map((p) => p.id), [a.id]);
  const back = reg(s, 2);
  assert.equal(back.id, b.id);
  assert.equal(back.status, 'idle');
  assert.equal(s.inbox(b.id)[0].body, 'while you were away');
});

test('conflicts: two live peers on one file within the window; case-folded where the OS is', () => {
  let now = 5_000_000;
  const s = makeStore(() => now);
  const a = reg(s, 1), b = reg(s, 2), c = reg(s, 3);
  s.touchFile(a.id, '/w/src/app.ts', 'Edit');
  assert.deepEqual(s.conflicts(), []);
  s.touchFile(b.id, '/w/src/app.ts', 'Write');
  const [conf] = s.conflicts();
  assert.equal(conf.path, '/w/src/app.ts');
  assert.deepEqual(conf.peers.map((p) => p.id).sort(), [a.id, b.id].sort());
  assert.equal(s.othersOnFile(c.id, '/w/src/app.ts')[0].peers.length, 2);
  assert.deepEqual(s.othersOnFile(a.id, '/w/src/other.ts'), []);
  now += 61_000;
  assert.deepEqual(s.conflicts(), [], 'outside the window');
  const ci = process.platform === 'win32' || process.platform === 'darwin';
  s.touchFile(a.id, '/w/README.md', 'Edit');
  s.touchFile(c.id, '/w/readme.md', 'Edit');
  assert.equal(s.conflicts().length, ci ? 1 : 0);
});

test('migrations bring a schema-1 database forward in place, keeping its data', () => {
  const path = join(tempHome(), 'old.db');
  const { db } = openDatabase(path);
  assert.equal(migrate(db, MIGRATIONS, 1), 1);
  db.prepare("INSERT INTO peers (id, name, pid, cwd, registered_at, last_seen) VALUES ('p_old', 'old-owl', 42, '/x', 1, 1)").run();
  db.close();
  const { db: db2 } = openDatabase(path);
  const s = new Store(db2, { ttlMs: 1000, conflictWindowMs: 1000 });
  assert.equal(db2.userVersion(), MIGRATIONS.length);
  assert.equal(s.peer('p_old')?.name, 'old-owl');
  assert.ok(db2.prepare("SELECT name FROM sqlite_master WHERE name = 'locks'").get());
  db2.close();
  // A database from a newer release is refused with advice, not corrupted.
  const { db: db3 } = openDatabase(path);
  db3.exec('PRAGMA user_version = 99');
  assert.throws(() => new Store(db3, { ttlMs: 1, conflictWindowMs: 1 }), /newer claude-peers/);
});

for (const d of DRIVERS) {
  test(`${d.name}: every driver serves the same schema on the same file`, { skip: d.skip }, () => {
    const path = join(tempHome(), 'peers.db');
    const s = new Store(openDatabase(path, { driver: d.name }).db, { ttlMs: 1000, conflictWindowMs: 60_000 });
    const a = reg(s, 1), b = reg(s, 2);
    send(s, { sender: a, to: b.id, body: `via ${d.name}` });
    s.db.close();
    // Any other driver this Node has reads what this one wrote.
    for (const other of DRIVERS.filter((o) => !o.skip)) {
      const again = new Store(openDatabase(path, { driver: other.name }).db, { ttlMs: 1000, conflictWindowMs: 60_000 });
      assert.equal(again.inbox(b.id)[0].body, `via ${d.name}`, `${other.name} reads it`);
      again.db.close();
    }
  });
}
