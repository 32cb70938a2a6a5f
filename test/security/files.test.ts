// The broker's files on a shared machine: private however they were made, a secret that is no
// secret is replaced, planted or foreign files are refused with advice, and a damaged database is
// kept aside while a fresh one serves. Each test runs a real broker process (dist/cli.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, registerSession, spawnBroker, tempHome } from '../support/processes.ts';
import { BrokerClient } from '../../src/client/broker-client.ts';

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
const isRoot = process.getuid?.() === 0;
const posix = process.platform !== 'win32';

/** Runs `claude-peers broker` that is expected to refuse to start; returns its exit code and stderr. */
function refusedBroker(home: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'broker', '--port', '0'], {
    env: { ...process.env, CLAUDE_PEERS_HOME: home, CLAUDE_PEERS_PORT: '' }, encoding: 'utf8', timeout: 15_000,
  });
  return { status: r.status, stderr: r.stderr };
}

test('a first start leaves the home 0700 and every file in it 0600, whatever the umask', { skip: !posix && 'POSIX modes only' }, async () => {
  const home = join(tempHome(), 'fresh');
  const before = process.umask(0); // the broker inherits a umask that makes everything world-readable
  let b;
  try { b = await spawnBroker(home); } finally { process.umask(before); }
  try {
    await registerSession(b); // a write: the WAL and -shm exist now
    assert.equal(mode(home), '700');
    for (const f of readdirSync(home)) {
      const p = join(home, f);
      assert.equal(mode(p), statSync(p).isDirectory() ? '700' : '600', `${f} is private`);
    }
    assert.ok(existsSync(join(home, 'peers.db-wal')), 'the WAL was checked too');
  } finally {
    await b.kill();
  }
});

test('a home an older release made 0755, with a 0644 database, is tightened, not refused', { skip: !posix && 'POSIX modes only' }, async () => {
  const home = join(tempHome(), 'old');
  mkdirSync(home, { mode: 0o755 });
  chmodSync(home, 0o755);
  writeFileSync(join(home, 'peers.db'), '');
  chmodSync(join(home, 'peers.db'), 0o644);
  const b = await spawnBroker(home);
  try {
    assert.equal(mode(home), '700');
    assert.equal(mode(join(home, 'peers.db')), '600');
  } finally {
    await b.kill();
  }
});

test('an empty or short token file grants nothing: the broker replaces it and says so', async () => {
  for (const planted of ['', 'abc']) {
    const home = tempHome();
    writeFileSync(join(home, 'token'), planted, { mode: 0o600 });
    const b = await spawnBroker(home);
    try {
      const token = readFileSync(join(home, 'token'), 'utf8').trim();
      assert.match(token, /^[0-9a-f]{64}$/, 'a real secret now');
      assert.match(b.stderr(), /did not hold a valid secret .*replaced it/);
      for (const bearer of [null, planted]) {
        const c = new BrokerClient({ port: b.port, credential: bearer, proofKey: b.joinToken });
        await assert.rejects(c.get('/peers'), (e: { status?: number }) => e.status === 401, `"${planted}" (and no token) are refused`);
        c.close();
      }
    } finally {
      await b.kill();
    }
  }
});

test('a world-writable home is refused with a way out', { skip: !posix && 'POSIX modes only' }, () => {
  const home = join(tempHome(), 'open');
  mkdirSync(home);
  chmodSync(home, 0o777);
  const r = refusedBroker(home);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /can be written by other users \(mode 777\).*chmod 700/);
  assert.equal(existsSync(join(home, 'token')), false, 'nothing was written into it');
});

test('a symlinked token is refused', { skip: !posix && 'POSIX symlinks' }, () => {
  const home = tempHome();
  const elsewhere = join(tempHome(), 'their-token');
  writeFileSync(elsewhere, 'a'.repeat(64), { mode: 0o600 });
  symlinkSync(elsewhere, join(home, 'token'));
  const r = refusedBroker(home);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /token is a symlink/);
});

test('a home, or a token in it, that belongs to another user is refused', { skip: !isRoot && 'needs root to make files of another user (CI runs as root)' }, () => {
  const theirs = join(tempHome(), 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  chownSync(theirs, 65534, 65534);
  let r = refusedBroker(theirs);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /belongs to another user \(uid 65534\)/);

  const mine = tempHome();
  writeFileSync(join(mine, 'token'), 'b'.repeat(64), { mode: 0o600 });
  chownSync(join(mine, 'token'), 65534, 65534); // planted by someone else
  r = refusedBroker(mine);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /token belongs to another user/);
});

/** Overwrites `len` bytes at `at` with garbage. */
function scribble(path: string, at: number, len: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(len, 0xa5), 0, len, at);
  closeSync(fd);
}

test('a database with a damaged page is kept aside and a fresh one serves; the driver is not blamed', async () => {
  const home = tempHome();
  let b = await spawnBroker(home);
  for (let i = 0; i < 200; i++) await registerSession(b, { pid: 100_000 + i, cwd: `/w/${'x'.repeat(500)}/${i}` });
  await b.kill(); // a clean stop: everything is in peers.db, no WAL
  const size = statSync(join(home, 'peers.db')).size;
  assert.ok(size > 8 * 4096, `a database of several pages (${size} bytes)`);
  scribble(join(home, 'peers.db'), 3 * 4096, 4096); // the whole fourth page

  b = await spawnBroker(home);
  try {
    const copies = readdirSync(home).filter((f) => /^peers\.db\.damaged-/.test(f));
    assert.equal(copies.length, 1, `the damaged file is kept: ${readdirSync(home).join(', ')}`);
    assert.match(b.stderr(), /The peers database .*peers\.db was damaged .*It was moved to .*peers\.db\.damaged-/);
    assert.doesNotMatch(b.stderr(), /did not load|No SQLite driver/);
    const { peer } = await registerSession(b);
    assert.ok(peer.id, 'a session can join the fresh database');
  } finally {
    await b.kill();
  }
});

test('a WAL whose header is garbage is reported and kept aside, not silently dropped', async () => {
  const home = tempHome();
  let b = await spawnBroker(home);
  await registerSession(b);
  await b.kill('SIGKILL'); // the commit lives in the WAL only
  // A sound WAL left by kill -9 is no damage: its commit comes back.
  b = await spawnBroker(home);
  assert.doesNotMatch(b.stderr(), /damaged/);
  assert.equal((await b.client.get<{ peers: unknown[] }>('/peers?all=1')).peers.length, 1, 'the commit in the WAL survived');
  await registerSession(b, { pid: process.ppid, cwd: '/w2' });
  await b.kill('SIGKILL');
  const wal = join(home, 'peers.db-wal');
  assert.ok(statSync(wal).size > 32, 'the WAL holds the commit');
  scribble(wal, 0, 32);

  b = await spawnBroker(home);
  try {
    assert.match(b.stderr(), /write-ahead log .*peers\.db-wal was damaged \(not a WAL header.*moved to .*peers\.db-wal\.damaged-/);
    assert.ok(readdirSync(home).some((f) => /^peers\.db-wal\.damaged-/.test(f)), 'the WAL is kept aside');
  } finally {
    await b.kill();
  }
});
