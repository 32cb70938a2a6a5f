// Faults with real processes: an MCP server killed and restarted for the same claude process, the
// database locked by another process, and a full disk (a size-limited tmpfs where the system lets
// us mount one, and SQLite's max_page_count on the broker's own connection everywhere).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { registerSession, spawnBroker, startMcpPeer, tempHome, waitFor, fakeClaude, type BrokerProc } from '../support/processes.ts';
import { BrokerClient } from '../../src/client/broker-client.ts';

const env = { CLAUDE_PEERS_RATE_MESSAGES_PER_MIN: '0', CLAUDE_PEERS_RATE_REQUESTS_PER_MIN: '0' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

function raw(port: number, token: string, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<{ status: number; json: any; ms: number }> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      host: '127.0.0.1', port, method, path,
      headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
    }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => { let json = null; try { json = JSON.parse(text); } catch { /* not JSON */ } res({ status: r.statusCode!, json, ms: Date.now() - t0 }); });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', rej);
    req.end(payload);
  });
}

test('an MCP server killed and restarted for the same claude keeps its id, name and undelivered inbox', { timeout: 30_000 }, async () => {
  const home = tempHome();
  const b = await spawnBroker(home, { env: { ...env, CLAUDE_PEERS_TTL_MS: '1500', CLAUDE_PEERS_SWEEP_MS: '200' } });
  cleanups.push(() => b.kill());
  const claude = fakeClaude();
  cleanups.push(() => { claude.kill('SIGKILL'); });
  const first = await startMcpPeer(home, b.port, { claude });
  const other = await startMcpPeer(home, b.port);
  cleanups.push(() => first.close(), () => other.close());
  const who = await waitFor(async () => (await first.call('whoami')).structured, 5000, 'registered');
  await waitFor(async () => (await other.call('whoami')).structured, 5000, 'other registered');

  const server: ChildProcess = (first.client as any)._transport._process;
  server.kill('SIGKILL');
  await waitFor(() => server.exitCode !== null || server.signalCode !== null, 3000, 'the MCP server to die');
  // Its claude lives on; without heartbeats or a stream the broker counts the session gone.
  await waitFor(async () => (await b.client.get<any>('/peers?all=1')).peers.find((p: any) => p.id === who.id)?.status === 'gone', 5000, 'peer marked gone');
  const sent: number[] = [];
  for (const [to, text] of [[who.id, 'first while you were away'], [who.name, 'second, by name'], [who.id, 'third']]) {
    const r = await other.call('send_message', { to, message: text });
    assert.equal(r.isError, false, r.text);
    sent.push(r.structured.id);
  }

  const second = await startMcpPeer(home, b.port, { claude });
  cleanups.push(() => second.close());
  const again = (await second.call('whoami')).structured;
  assert.equal(again.id, who.id, 'same peer id');
  assert.equal(again.name, who.name, 'same name');
  await waitFor(() => sent.every((id) => second.notes.some((n) => n.meta.message_id === String(id))), 5000, 'the queued messages pushed on restart');
  assert.deepEqual(second.notes.map((n) => Number(n.meta.message_id)), sent, 'each once, in order');
  const inbox = await second.call('check_messages');
  assert.deepEqual(inbox.structured.messages.map((m: any) => m.id), sent, 'still unread until the model reads them');
  assert.equal((await b.client.get<any>('/peers')).peers.filter((p: any) => p.pid === claude.pid).length, 1, 'one live peer for the claude process');
});

test('the database locked by another process: 503 database_locked, reads go on, recovery after', { timeout: 30_000 }, async () => {
  const home = tempHome();
  // Sweeps every 200 ms; a long TTL so no peer expires (a write) while the database is locked.
  const b = await spawnBroker(home, { env: { ...env, CLAUDE_PEERS_SWEEP_MS: '200', CLAUDE_PEERS_TTL_MS: '600000' } });
  cleanups.push(() => b.kill());
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const claude = fakeClaude();
  cleanups.push(() => { claude.kill('SIGKILL'); });
  const A = await registerSession(b, { pid: claude.pid, cwd: '/w/a' });
  const C = await registerSession(b, { pid: process.pid, cwd: '/w/c' });
  const a = A.peer;
  const c = C.peer;
  await A.client.post('/messages', { to: c.id, body: 'before the lock' });
  // A session whose heartbeats (writes) are rare, so its send is the only write in the queue.
  const mcp = await startMcpPeer(home, b.port, { env: { CLAUDE_PEERS_HEARTBEAT_MS: '60000' } });
  cleanups.push(() => mcp.close());
  await waitFor(async () => (await mcp.call('whoami')).structured, 5000, 'registered');

  // Another program holds the write lock: an EXCLUSIVE transaction on a second connection.
  const locker = spawn(process.execPath, ['-e', `
    const Database = require(process.argv[1]);
    const db = new Database(process.argv[2]);
    db.exec('BEGIN EXCLUSIVE');
    db.prepare("UPDATE peers SET summary = 'held by another program'").run();
    process.stdout.write('locked\\n');
    process.stdin.on('data', () => { db.exec('ROLLBACK'); db.close(); process.stdout.write('released\\n'); });
  `, require.resolve('better-sqlite3'), join(home, 'peers.db')], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(() => { locker.kill('SIGKILL'); });
  let out = '';
  locker.stdout!.on('data', (d) => (out += d));
  await waitFor(() => out.includes('locked'), 5000, 'the other process to lock the database');

  // Reads are served from the WAL snapshot; the broker's own housekeeping (a liveness sweep every
  // 200 ms here) must not queue writes that stall it for the busy timeout each time.
  for (let i = 0; i < 5; i++) {
    const h = await raw(b.port, token, 'GET', '/v1/health', undefined, 4000);
    assert.equal(h.status, 200);
    assert.ok(h.ms < 1500, `health answered in ${h.ms} ms while the database was locked`);
    await sleep(300);
  }
  const peers = await raw(b.port, token, 'GET', '/v1/peers', undefined, 4000);
  assert.equal(peers.status, 200);
  const r = await raw(b.port, A.key, 'POST', '/v1/messages', { to: c.id, body: 'during the lock' });
  assert.equal(r.status, 503, JSON.stringify(r.json));
  assert.equal(r.json.error.code, 'database_locked');
  assert.match(r.json.error.message, /locked by another process.*retry/);
  const tool = await mcp.call('send_message', { to: c.id, message: 'tool during the lock' });
  assert.equal(tool.isError, true);
  assert.match(tool.text, /database is locked by another process/, 'the session is told why, not a timeout');
  assert.equal((await raw(b.port, token, 'GET', '/v1/health', undefined, 4000)).status, 200, 'still serving');

  locker.stdin!.write('release\n');
  await waitFor(() => out.includes('released'), 5000, 'the lock released');
  const ok = await raw(b.port, A.key, 'POST', '/v1/messages', { to: c.id, body: 'after the lock' });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal((await mcp.call('send_message', { to: c.id, message: 'tool after the lock' })).isError, false);
  const inbox = (await b.client.get<any>(`/peers/${c.id}/inbox`)).messages.map((m: any) => m.body);
  assert.deepEqual(inbox, ['before the lock', 'after the lock', 'tool after the lock'], 'nothing refused was stored, nothing accepted lost');
  assert.equal((await b.client.get<any>(`/peers/${a.id}`)).peer.summary, null, 'the other program\'s rolled-back write is not visible');
});

/** A broker process running the real startBroker, whose SQLite connection the test can cap. */
async function cappableBroker(home: string): Promise<{ port: number; client: BrokerClient; joinToken: string; proc: ChildProcess; command(c: string): Promise<string>; kill(): Promise<void> }> {
  const script = join(home, 'cappable-broker.ts');
  const src = resolve(__dirname, '../../src');
  writeFileSync(script, `
    import { startBroker } from ${JSON.stringify(join(src, 'broker/broker.ts'))};
    import { loadConfig } from ${JSON.stringify(join(src, 'common/config.ts'))};
    (async () => {
      const b = await startBroker({ config: loadConfig(), port: 0 });
      const db = b.store.db;
      process.stdout.write('port ' + b.port + '\\n');
      let buf = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\\n')) >= 0) {
          const cmd = buf.slice(0, i); buf = buf.slice(i + 1);
          // "full": the database may not grow by one page; "free": room again.
          if (cmd === 'full') {
            const pages = (db.prepare('PRAGMA page_count').get() as any).page_count;
            db.exec('PRAGMA max_page_count = ' + pages);
            process.stdout.write('done full ' + pages + '\\n');
          } else if (cmd === 'free') {
            db.exec('PRAGMA max_page_count = 1073741823');
            process.stdout.write('done free\\n');
          }
        }
      });
    })();
  `);
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, ...env, CLAUDE_PEERS_HOME: home, CLAUDE_PEERS_PORT: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const port = await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`broker exited: ${err}`);
    return Number(/port (\d+)/.exec(out)?.[1] ?? 0);
  }, 15_000, 'the cappable broker to start');
  const client = new BrokerClient({ port, credential: readFileSync(join(home, 'token'), 'utf8').trim(), proofKey: readFileSync(join(home, 'join-token'), 'utf8').trim() });
  return {
    port, client, proc, joinToken: client.proofKey!,
    async command(c) {
      const before = out.length;
      proc.stdin!.write(c + '\n');
      return waitFor(() => /done [^\n]*\n/.exec(out.slice(before))?.[0], 5000, `command ${c}`);
    },
    kill: () => new Promise<void>((res) => { if (proc.exitCode !== null || proc.signalCode) return res(); proc.once('exit', () => res()); proc.kill('SIGKILL'); }),
  };
}

/**
 * Sends 30 KiB messages until the broker answers 507 disk_full, checks it keeps serving, then
 * makes room and checks it accepts again. Returns the bodies it accepted, in order.
 */
async function fillUntilFull(port: number, token: string, userToken: string, to: string, makeFull: () => Promise<void>, makeRoom: () => Promise<void>): Promise<string[]> {
  const accepted: string[] = [];
  const pad = 'x'.repeat(30 * 1024);
  for (let i = 0; i < 3; i++) {
    const r = await raw(port, token, 'POST', '/v1/messages', { to, body: `before ${i} ${pad}` });
    assert.equal(r.status, 200);
    accepted.push(`before ${i}`);
  }
  await makeFull();
  let full = null;
  for (let i = 0; i < 400 && !full; i++) {
    const r = await raw(port, token, 'POST', '/v1/messages', { to, body: `filling ${i} ${pad}` });
    if (r.status === 200) accepted.push(`filling ${i}`);
    else full = r;
  }
  assert.ok(full, 'the disk filled up');
  assert.equal(full.status, 507, JSON.stringify(full.json));
  assert.equal(full.json.error.code, 'disk_full');
  assert.match(full.json.error.message, /disk .* is full; nothing was stored/);
  // Still full: the next write is refused the same way, and everything else keeps working.
  const again = await raw(port, token, 'POST', '/v1/messages', { to, body: `still full ${pad}` });
  assert.equal(again.status, 507);
  assert.equal((await raw(port, token, 'GET', '/v1/health')).status, 200);
  const inbox = await raw(port, userToken, 'GET', `/v1/peers/${to}/inbox?state=all`);
  assert.equal(inbox.status, 200);
  assert.deepEqual(inbox.json.messages.map((m: any) => m.body.split(' ').slice(0, 2).join(' ')), accepted, 'everything accepted is there, nothing refused');
  await makeRoom();
  const after = await raw(port, token, 'POST', '/v1/messages', { to, body: 'after room was made' });
  assert.equal(after.status, 200, JSON.stringify(after.json));
  accepted.push('after room');
  return accepted;
}

const firstWords = (msgs: any[]) => msgs.map((m: any) => m.body.split(' ').slice(0, 2).join(' '));

test('disk full (SQLite max_page_count on the broker\'s connection): 507 disk_full, nothing accepted lost', { timeout: 30_000 }, async () => {
  const home = tempHome();
  const claude = fakeClaude();
  cleanups.push(() => { claude.kill('SIGKILL'); });
  let b = await cappableBroker(home);
  cleanups.push(() => b.kill());
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const A = await registerSession(b, { pid: claude.pid, cwd: '/w/a' });
  const C = await registerSession(b, { pid: process.pid, cwd: '/w/c' });
  const c = C.peer;
  const accepted = await fillUntilFull(b.port, A.key, token, c.id, async () => { await b.command('full'); }, async () => { await b.command('free'); });
  // Crash and come back: what was acknowledged is on disk.
  await b.kill();
  b = await cappableBroker(home);
  const inbox = await b.client.get<any>(`/peers/${c.id}/inbox?state=all`);
  assert.deepEqual(firstWords(inbox.messages), accepted);
});

test('disk full (a size-limited tmpfs): 507 disk_full, nothing accepted lost, serving after space is freed', { timeout: 30_000 }, async (t) => {
  const mnt = tempHome('cp-tmpfs-');
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(m.stderr || m.error?.message || '').trim()}); the max_page_count test covers disk full`);
    return;
  }
  let b: BrokerProc | null = null;
  const unmount = async () => { await b?.kill('SIGKILL'); spawnSync('umount', ['-l', mnt]); };
  cleanups.push(unmount);
  const home = join(mnt, 'home');
  mkdirSync(home);
  b = await spawnBroker(home, { env });
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const claude = fakeClaude();
  cleanups.push(() => { claude.kill('SIGKILL'); });
  const A = await registerSession(b, { pid: claude.pid, cwd: '/w/a' });
  const C = await registerSession(b, { pid: process.pid, cwd: '/w/c' });
  const c = C.peer;
  const filler = join(mnt, 'filler');
  const fill = async () => {
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (let size = chunk.length; size >= 512;) {
        try { writeSync(fd, chunk, 0, size); } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          size >>= 1;
        }
      }
    } finally { closeSync(fd); }
  };
  const accepted = await fillUntilFull(b.port, A.key, token, c.id, fill, async () => { rmSync(filler); });
  // Crash and come back on the same (now roomy) disk: what was acknowledged is there.
  await b.kill('SIGKILL');
  b = await spawnBroker(home, { port: b.port, env });
  assert.deepEqual(firstWords((await b.client.get<any>(`/peers/${c.id}/inbox?state=all`)).messages), accepted);
});
