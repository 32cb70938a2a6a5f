// The broker's HTTP contract against a real broker process: every rejection, the happy paths,
// and that it keeps serving after each failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerSession, spawnBroker, tempHome, fakeClaude, waitFor, type BrokerProc } from '../support/processes.ts';
import type { BrokerEvent } from '../../src/protocol/wire.ts';

let b: BrokerProc;
let token: string;
const claude = fakeClaude();
/** One stand-in claude process per session: a live process under two credentials is refused. */
const claudes = Array.from({ length: 5 }, () => fakeClaude());

before(async () => {
  b = await spawnBroker(tempHome());
  token = readFileSync(join(b.home, 'token'), 'utf8').trim();
});
after(async () => { await b.kill(); claude.kill(); for (const c of claudes) c.kill(); });

function raw(method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: b.port, method, path, headers: opts.headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let json: any = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode!, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const auth = () => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

async function assertError(p: Promise<{ status: number; json: any }>, status: number, code: string) {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json?.error?.code, code);
  assert.ok(r.json.error.message.length > 10, 'the message says what to do');
  // ...and the broker keeps serving.
  assert.equal((await raw('GET', '/v1/health')).status, 200);
}

test('the token file holds 256 random bits, private to the user', () => {
  assert.match(token, /^[0-9a-f]{64}$/);
  if (process.platform !== 'win32') assert.equal(statSync(join(b.home, 'token')).mode & 0o777, 0o600);
});

test('health answers without auth, and says no more than that a broker is there', async () => {
  const r = await raw('GET', '/v1/health');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['federation', 'ok', 'service', 'version']);
  assert.equal(r.json.service, 'claude-peers');
  assert.deepEqual(r.json.federation, { state: 'off', since: null }, 'the federation\'s state, nothing about where');
  // The details are behind the user's token; the broker names its driver there.
  const st = await b.client.get<any>('/status');
  assert.equal(st.pid, b.proc.pid);
  assert.match(st.db, /^(better-sqlite3 12\.\S+ \(ABI \d+\)|better-sqlite3 13\.\S+ \(Node-API, .*\)|node:sqlite \(Node .*\)), .*peers\.db$/);
});

test('rejections: token, host, origin, content type, size, JSON, validation, routes', async () => {
  await assertError(raw('GET', '/v1/peers'), 401, 'unauthorized');
  await assertError(raw('GET', '/v1/peers', { headers: { Authorization: 'Bearer wrong' } }), 401, 'unauthorized');
  await assertError(raw('GET', '/v1/peers', { headers: { Authorization: `Bearer ${token}x` } }), 401, 'unauthorized');
  await assertError(raw('GET', '/v1/peers', { headers: { ...auth(), Host: 'attacker.example:7899' } }), 421, 'bad_host');
  await assertError(raw('GET', '/v1/health', { headers: { Host: 'attacker.example' } }), 421, 'bad_host');
  await assertError(raw('GET', '/v1/peers', { headers: { ...auth(), Origin: 'https://evil.example' } }), 403, 'origin_forbidden');
  await assertError(raw('GET', '/v1/peers', { headers: { ...auth(), Origin: 'null' } }), 403, 'origin_forbidden');
  await assertError(raw('POST', '/v1/messages', { headers: { ...auth(), 'Content-Type': 'text/plain' }, body: 'hi' }), 415, 'unsupported_media_type');
  await assertError(raw('POST', '/v1/messages', { headers: { Authorization: `Bearer ${token}` }, body: '{}' }), 415, 'unsupported_media_type');
  await assertError(raw('POST', '/v1/messages', { headers: auth(), body: '{"to": "x", ' }), 400, 'bad_json');
  await assertError(raw('POST', '/v1/messages', { headers: auth(), body: JSON.stringify({ to: 'x', body: 'y'.repeat(70_000) }) }), 413, 'too_large');
  await assertError(raw('POST', '/v1/messages', { headers: auth(), body: JSON.stringify({ to: 'human', body: 'y'.repeat(33 * 1024) }) }), 413, 'message_too_large');
  await assertError(raw('POST', '/v1/messages', { headers: auth(), body: JSON.stringify({ to: 5, body: true }) }), 400, 'invalid_request');
  await assertError(raw('POST', '/v1/messages', { headers: auth(), body: JSON.stringify({ to: 'x', body: 'y', sneaky: 1 }) }), 400, 'invalid_request');
  await assertError(raw('POST', '/v1/peers', { headers: auth(), body: JSON.stringify({ pid: -1, cwd: '/' }) }), 400, 'invalid_request');
  await assertError(raw('POST', '/v1/messages', { headers: auth(), body: JSON.stringify({ to: 'nobody', body: 'y' }) }), 404, 'unknown_recipient');
  await assertError(raw('POST', '/v1/messages', { headers: auth(), body: JSON.stringify({ from: 'p_nope', to: 'human', body: 'y' }) }), 400, 'invalid_request');
  await assertError(raw('GET', '/v1/nothing-here', { headers: auth() }), 404, 'not_found');
  await assertError(raw('POST', '/v1/peers/p_nope/heartbeat', { headers: auth(), body: '{}' }), 403, 'forbidden');
});

test('happy path: register, summary, send, inbox, ack, hooks, conflicts', async () => {
  const a = await registerSession(b, { pid: claude.pid, cwd: '/w/a', gitRoot: '/w', branch: 'main' });
  const o = await registerSession(b, { pid: process.pid, cwd: '/w/b', gitRoot: '/w' });
  assert.equal((await a.client.put<any>(`/peers/${a.peer.id}/summary`, { summary: 'writing tests' })).peer.summary, 'writing tests');
  const { messages } = await a.client.post<any>('/messages', { to: o.peer.name, body: 'hello' });
  assert.equal(messages[0].state, 'queued');
  assert.equal(messages[0].fromId, a.peer.id, 'the sender is whoever the credential names');
  const inbox = await o.client.get<any>(`/peers/${o.peer.id}/inbox`);
  assert.deepEqual(inbox.messages.map((m: any) => m.body), ['hello']);
  assert.deepEqual((await o.client.post<any>(`/peers/${o.peer.id}/ack`, { ids: [messages[0].id], state: 'read' })).changed, [messages[0].id]);
  assert.equal((await o.client.get<any>(`/peers/${o.peer.id}/inbox`)).messages.length, 0);
  const hook = (s: typeof a, event: string, file: string) => s.client.post<any>(`/hooks/${event}?handover=ack`, { hook_event_name: event, cwd: '/w', tool_name: 'Edit', tool_input: { file_path: file } });
  await hook(a, 'PostToolUse', '/w/shared.ts');
  const pre = await hook(o, 'PreToolUse', '/w/shared.ts');
  assert.match(pre.output.hookSpecificOutput.additionalContext, new RegExp(`Careful: "/w/shared\\.ts" is also being worked on by ${a.peer.name}`), 'warned before editing a file a peer edited');
  await hook(o, 'PostToolUse', '/w/shared.ts');
  const { conflicts } = await b.client.get<any>('/conflicts');
  assert.equal(conflicts.length, 1);
  assert.equal(conflicts[0].path, '/w/shared.ts');
  const peers = (await b.client.get<any>('/peers')).peers;
  assert.equal(peers.find((p: any) => p.id === a.peer.id).files[0].path, '/w/shared.ts');
  // The human writes from the panel and reads the answer in its own inbox.
  await b.client.post('/messages', { to: a.peer.id, body: 'status?', via: 'panel' });
  const fromHuman = (await a.client.get<any>(`/peers/${a.peer.id}/inbox`)).messages.at(-1);
  assert.equal(fromHuman.fromKind, 'human');
  assert.equal(fromHuman.fromName, 'human (VS Code)');
  await a.client.post('/messages', { to: 'human', body: 'all good', replyTo: fromHuman.id });
  assert.equal((await b.client.get<any>('/peers/human/inbox')).messages.at(-1).body, 'all good');
});

// Every hook used to wake every observer; a Read's PostToolUse changes nothing anyone shows but
// when the peer was last seen, so it sends no peer event (the stream's order makes this exact:
// the next event of another kind arrives after whatever the hooks sent).
test('a hook that changes only last-seen sends no peer event; one that changes what a panel shows does', async () => {
  const a = await registerSession(b, { pid: claudes[4].pid, cwd: '/w/quiet', gitRoot: '/w' });
  const seen: BrokerEvent[] = [];
  let stream: { close(): void } | undefined;
  await new Promise<void>((resolve) => { stream = b.client.subscribe(null, (e) => seen.push(e), (up) => { if (up) resolve(); }); });
  const hook = (tool: string, event = 'PostToolUse') => a.client.post<any>(`/hooks/${event}?handover=ack`, { hook_event_name: event, cwd: '/w', tool_name: tool, tool_input: { file_path: '/w/quiet.ts' } });
  const mark = async (summary: string) => {
    await a.client.put(`/peers/${a.peer.id}/summary`, { summary });
    await waitFor(() => seen.some((e) => e.type === 'peer' && e.peer.summary === summary), 10_000, `the "${summary}" event`);
    return seen.splice(0).filter((e) => e.type === 'peer' && e.peer.id === a.peer.id && e.peer.summary !== summary);
  };
  try {
    await hook('Read'); // working now: shown
    const t0 = Date.now();
    await mark('m1');
    await hook('Read');
    await hook('Read');
    const quiet = await mark('m2');
    // A last-seen-only change still goes out every 10 s; only a machine stalled that long sees one.
    if (Date.now() - t0 < 9000) assert.deepEqual(quiet, [], 'two Reads while working: no peer event');
    await hook('Edit');
    const edited = await mark('m3');
    assert.equal(edited.length, 1, 'an edit changes the peer\'s files: one event');
    assert.equal(edited[0].type === 'peer' && edited[0].peer.files[0]?.path, '/w/quiet.ts');
    await hook('Read', 'Stop');
    const stopped = await mark('m4');
    assert.equal(stopped.length, 1, 'idle: one event');
    assert.equal(stopped[0].type === 'peer' && stopped[0].peer.status, 'idle');
  } finally { stream?.close(); }
});

// POST /v1/messages, /ack and /heartbeat are served by a lean hot path before express; a query
// string sends the same request through express. Both must answer every request alike.
test('the hot path answers exactly as express does, refusals included', async () => {
  const a = await registerSession(b, { pid: claudes[0].pid, cwd: '/w/a' });
  const c = await registerSession(b, { pid: claudes[1].pid, cwd: '/w/c' });
  const as = (s: { key: string }) => ({ Authorization: `Bearer ${s.key}`, 'Content-Type': 'application/json' });
  const cases: { name: string; path: string; headers?: Record<string, string>; body?: string }[] = [
    { name: 'wrong token', path: '/v1/messages', headers: { ...auth(), Authorization: 'Bearer nope' }, body: '{}' },
    { name: 'unknown key', path: '/v1/messages', headers: { ...auth(), Authorization: `Bearer ${'0'.repeat(64)}` }, body: '{}' },
    { name: 'the join token sends nothing', path: '/v1/messages', headers: { ...auth(), Authorization: `Bearer ${b.joinToken}` }, body: JSON.stringify({ to: c.peer.id, body: 'y' }) },
    { name: 'foreign host', path: '/v1/messages', headers: { ...auth(), Host: 'evil.example' }, body: '{}' },
    { name: 'origin', path: '/v1/messages', headers: { ...auth(), Origin: 'https://evil.example' }, body: '{}' },
    { name: 'text body', path: '/v1/messages', headers: { ...auth(), 'Content-Type': 'text/plain' }, body: '{}' },
    { name: 'latin-1 JSON', path: '/v1/messages', headers: { ...auth(), 'Content-Type': 'application/json; charset=latin1' }, body: '{}' },
    { name: 'broken JSON', path: '/v1/messages', headers: auth(), body: '{"to": ' },
    { name: 'a JSON number', path: '/v1/messages', headers: auth(), body: '42' },
    { name: 'a JSON string', path: '/v1/messages', headers: auth(), body: '"hello"' },
    { name: 'empty body', path: '/v1/messages', headers: auth(), body: '' },
    { name: 'body too large', path: '/v1/messages', headers: auth(), body: JSON.stringify({ to: c.peer.id, body: 'y'.repeat(70_000) }) },
    { name: 'message too large', path: '/v1/messages', headers: as(a), body: JSON.stringify({ to: c.peer.id, body: 'y'.repeat(33 * 1024) }) },
    { name: 'invalid fields', path: '/v1/messages', headers: auth(), body: JSON.stringify({ to: 5, body: true }) },
    { name: 'a sender field', path: '/v1/messages', headers: as(a), body: JSON.stringify({ from: c.peer.id, to: c.peer.id, body: 'y' }) },
    { name: 'unknown recipient', path: '/v1/messages', headers: as(a), body: JSON.stringify({ to: 'nobody', body: 'y' }) },
    { name: 'unknown reply_to', path: '/v1/messages', headers: as(a), body: JSON.stringify({ to: c.peer.id, body: 'y', replyTo: 999999 }) },
    { name: 'bad ack', path: `/v1/peers/${c.peer.id}/ack`, headers: as(c), body: JSON.stringify({ ids: ['x'], state: 'eaten' }) },
    { name: 'ack of nothing', path: `/v1/peers/${c.peer.id}/ack`, headers: as(c), body: JSON.stringify({ ids: [999999], state: 'read' }) },
    { name: 'ack of another peer\'s inbox', path: `/v1/peers/${c.peer.id}/ack`, headers: as(a), body: JSON.stringify({ ids: [1], state: 'read' }) },
    { name: 'heartbeat of another peer', path: `/v1/peers/${c.peer.id}/heartbeat`, headers: as(a), body: '{}' },
    { name: 'heartbeat', path: `/v1/peers/${c.peer.id}/heartbeat`, headers: as(c), body: '{}' },
  ];
  const scrub = (j: any) => JSON.parse(JSON.stringify(j), (k, v) => (k === 'lastSeen' || k === 'registeredAt' ? '…' : v));
  for (const k of cases) {
    const hot = await raw('POST', k.path, { headers: k.headers, body: k.body });
    const slow = await raw('POST', `${k.path}?via=express`, { headers: k.headers, body: k.body });
    assert.equal(hot.status, slow.status, `${k.name}: status`);
    assert.deepEqual(scrub(hot.json), scrub(slow.json), `${k.name}: body`);
    assert.ok(hot.status >= 400 ? hot.json.error.message.length > 10 : hot.json.peer || hot.json.changed, `${k.name}: ${JSON.stringify(hot.json)}`);
  }
  // A good send through each path lands once each, in order.
  for (const via of ['', '?via=express']) {
    const r = await raw('POST', `/v1/messages${via}`, { headers: as(a), body: JSON.stringify({ to: c.peer.id, body: `via ${via || 'hot path'}` }) });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.messages[0].body, `via ${via || 'hot path'}`);
  }
  const inbox = await c.client.get<any>(`/peers/${c.peer.id}/inbox`);
  assert.deepEqual(inbox.messages.map((m: any) => m.body), ['via hot path', 'via ?via=express']);
});

test('the per-peer budgets hold on the hot path', async () => {
  const lb = await spawnBroker(tempHome(), { env: { CLAUDE_PEERS_RATE_MESSAGES_PER_MIN: '3', CLAUDE_PEERS_RATE_REQUESTS_PER_MIN: '6' } });
  try {
    const a = await registerSession(lb, { pid: claude.pid, cwd: '/w/a' });
    const c = await registerSession(lb, { pid: process.pid, cwd: '/w/c' });
    const send = () => a.client.post<any>('/messages', { to: c.peer.id, body: 'hi' });
    for (let i = 0; i < 3; i++) await send();
    await assert.rejects(send(), (e: any) => e.status === 429 && e.code === 'rate_limited' && /3 per minute/.test(e.message));
    // Requests: the 4 sends so far count, and the budget is 6.
    await a.client.post(`/peers/${a.peer.id}/heartbeat`, {});
    await a.client.post(`/peers/${a.peer.id}/heartbeat`, {});
    await assert.rejects(a.client.post(`/peers/${a.peer.id}/heartbeat`, {}), (e: any) => e.status === 429 && /6 per minute/.test(e.message));
    await c.client.post(`/peers/${c.peer.id}/heartbeat`, {}); // another peer's budget is untouched
    // The human's sends have a budget too (they used to escape it).
    for (let i = 0; i < 3; i++) await lb.client.post('/messages', { to: c.peer.id, body: 'from the human' });
    await assert.rejects(lb.client.post('/messages', { to: c.peer.id, body: 'one more' }), (e: any) => e.status === 429);
  } finally {
    await lb.kill();
  }
});
