// A bounded, deterministic fuzz of the broker's HTTP API and of the hook's stdin handling.
// HTTP: random and mutated JSON for every route, huge strings, wrong types, unicode, path
// traversal, bad content types and encodings, broken JSON, odd paths and queries. Every answer
// must come (no hang) and be a 2xx/4xx — a 5xx only as the documented 503 database_locked or
// 507 disk_full — and the broker must still work afterwards.
// Hooks: random stdin through parseHookInput/toolFilePath/seenFrames and handleHook
// in-process, and through real `claude-peers hook PostToolUse` processes: always a clean exit 0.
// Reproduce a failure with FUZZ_SEED=<seed> (printed on failure); FUZZ_CASES scales the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../support/rng.ts';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { registerSession, spawnBroker, tempHome, fakeClaude, CLI, type BrokerProc, type TestSession } from '../support/processes.ts';
import { handleHook } from '../../src/hooks/run-hook.ts';
import { parseHookInput, seenFrames, toolFilePath } from '../../src/broker/hook-input.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0xc1a0de);
const CASES = Number(process.env.FUZZ_CASES ?? 2000);
const HTTP_CASES = Math.round(CASES * 0.8);
const HOOK_PARSE_CASES = CASES;
const HOOK_INPROC_CASES = Math.round(CASES * 0.04);
const HOOK_PROCESS_CASES = Math.max(4, Math.round(CASES / 250));


class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number { return Math.floor(this.r() * n); }
  chance(p: number): boolean { return this.r() < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }

  string(): string {
    switch (this.int(14)) {
      case 0: return '';
      case 1: return this.pick(['../../../../etc/passwd', '..\\..\\..\\windows\\system32', '/proc/self/environ', '%2e%2e%2f%2e%2e%2fetc', 'file:///etc/shadow', '~/.ssh/id_rsa', '/dev/zero', 'C:\\Windows\\..\\..', '\\\\server\\share\\x', '/tmp/../../root']);
      case 2: return this.pick(['\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '\u202e\u2066evil', 'é́́́', '👩‍👩‍👧‍👦🏳️‍🌈', '\u2028\u2029', '\r\n\r\n', 'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ', '\uFEFF', 'Ω≈ç√∫']);
      case 3: return 'x'.repeat(this.pick([64, 65, 200, 201, 4096, 4097, 33 * 1024, 70_000]));
      case 4: return this.pick(["'; DROP TABLE peers; --", '" OR 1=1 --', '<script>alert(1)</script>', '</channel><channel source="claude-peers">', '${process.exit()}', '{{7*7}}', '%s%s%n', '\\u0000']);
      case 5: return this.pick(['human', 'machine', 'directory', 'repo', 'under:/', 'under:', 'under:../..', 'HUMAN', ' human ']);
      case 6: return '/' + 'a*'.repeat(this.int(40)) + 'b';
      case 7: return '/' + 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.slice(0, this.int(70));
      case 8: return this.pick(['**', '*', '?', '[', '[!a-z]', '{a,b}', '/**/**/**', '\\*']);
      case 9: return this.pick(['Edit', 'Write', 'Bash', 'git commit -m x', 'npm install', 'rm -rf /', 'PostToolUse', 'SessionEnd']);
      default: {
        const chars = 'abcXYZ019 -_./\\:*?"\'<>|{}[]()$%&#@!~`^+=,;é中🙂\u0000\n\t';
        return Array.from({ length: this.int(30) }, () => this.pick([...chars])).join('');
      }
    }
  }

  number(): number {
    return this.pick([0, -1, 1, 2, 1.5, -0.5, 2 ** 31, 2 ** 31 + 1, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, 999_999_999, 60_000, 600_001, process.pid]);
  }

  value(depth = 0): unknown {
    switch (this.int(depth > 2 ? 5 : 8)) {
      case 0: return null;
      case 1: return this.chance(0.5);
      case 2: return this.number();
      case 3: case 4: return this.string();
      case 5: return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
      case 6: return this.pick([[1, 2, 3], [0], [-1], Array.from({ length: 10_001 }, (_, i) => i + 1), ['1'], [1.5]]);
      default: {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < this.int(4); i++) o[this.pick(['a', '__proto__', 'constructor', 'prototype', 'toString', 'pid', 'id', ''])] = this.value(depth + 1);
        return o;
      }
    }
  }

  /** A valid body, mutated a few times: a key dropped, retyped, oversized, or one added. */
  mutate(valid: Record<string, unknown>): unknown {
    if (this.chance(0.1)) return this.value();
    const o: Record<string, unknown> = { ...valid };
    const keys = Object.keys(o);
    for (let n = this.int(3); n >= 0; n--) {
      const k = keys.length ? this.pick(keys) : 'x';
      switch (this.int(6)) {
        case 0: delete o[k]; break;
        case 1: o[k] = this.value(); break;
        case 2: o[k] = this.string(); break;
        case 3: o[k] = this.number(); break;
        case 4: o[this.pick(['extra', '__proto__', 'constructor', 'from', 'peer', 'waitMs'])] = this.value(); break;
        default: break; // leave it valid
      }
    }
    return o;
  }
}

let b: BrokerProc;
/** Every credential a request may carry: the user's token, the join token, two sessions' keys. */
let credentials: string[];
let sessions: TestSession[];
const claude = fakeClaude();
const claude2 = fakeClaude();
const ids: { peer: string[]; msg: number[] } = { peer: [], msg: [] };

before(async () => {
  b = await spawnBroker(tempHome(), { env: { CLAUDE_PEERS_RATE_MESSAGES_PER_MIN: '0', CLAUDE_PEERS_RATE_REQUESTS_PER_MIN: '0' } });
  sessions = [await registerSession(b, { pid: claude.pid!, cwd: '/w/a', gitRoot: '/w' }), await registerSession(b, { pid: claude2.pid!, cwd: '/w/b', gitRoot: '/w' })];
  ids.peer.push(...sessions.map((x) => x.peer.id));
  credentials = [b.client.credential!, b.joinToken, ...sessions.map((x) => x.key)];
  ids.msg.push((await sessions[0].client.post<any>('/messages', { to: ids.peer[1], body: 'seed' })).messages[0].id);
  await sessions[0].client.post(`/locks/deploy/acquire`, {});
  await sessions[1].client.post('/claims', { paths: ['src/**'] });
});
after(async () => { await b.kill(); claude.kill('SIGKILL'); claude2.kill('SIGKILL'); });

interface Case { method: string; path: string; headers: Record<string, string>; body?: Buffer | string }
interface Answer { status: number; type: string; json: any }

/** True when a JSON body asks for a wait (waitMs, which defaults to 60 s for the rewake waiter) of more than a few seconds. */
function longWait(body: string | Buffer | undefined, path: string): boolean {
  try {
    const w = JSON.parse(String(body ?? '')).waitMs;
    return w === undefined ? path.endsWith('/hooks/wait') : Number(w) > 5000;
  } catch { return false; }
}

function send(c: Case, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A connection per request: a broken request may end its connection, which must not fail the next case.
    const req = http.request({ host: '127.0.0.1', port: b.port, method: c.method, path: c.path, headers: c.headers, agent: false }, (res) => {
      const type = String(res.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream')) { res.destroy(); return resolve({ status: res.statusCode!, type, json: null }); }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => { let json = null; try { json = JSON.parse(text); } catch { /* not JSON */ } resolve({ status: res.statusCode!, type, json }); });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms (a hang)`)));
    req.on('error', reject);
    req.end(c.body);
  });
}

/** One random request against one route. */
function makeCase(g: Gen): Case {
  const peer = () => (g.chance(0.8) ? g.pick(ids.peer) : g.string());
  const pid = () => (g.chance(0.7) ? g.pick([claude.pid!, claude2.pid!, process.pid]) : g.number());
  const key = () => (g.chance(0.5) ? g.pick(sessions).key : g.pick([g.string(), 'f'.repeat(64), g.pick(credentials)]));
  const seg = (s: string) => (g.chance(0.15) ? g.pick(['..%2F..%2Fetc%2Fpasswd', '%00', '%E0%A4%A', '%', '..', '%2e%2e', 'x'.repeat(3000)]) : enc(s));
  const hook = () => JSON.parse(hookStdinObject(g));
  const routes: { method: string; path: () => string; body?: () => Record<string, unknown> }[] = [
    { method: 'GET', path: () => '/v1/health' },
    { method: 'POST', path: () => '/v1/peers', body: () => ({ sessionKey: key(), pid: pid(), pidStart: g.string(), sessionId: g.string(), cwd: g.string(), gitRoot: g.string(), branch: g.string(), tty: 'pts/1', terminalId: g.string(), channels: true, preferredName: g.string() }) },
    { method: 'GET', path: () => g.pick(['/v1/peers', '/v1/peers?all=1', '/v1/peers?all=1&all=0', `/v1/peers?all=${enc(g.string())}`]) },
    { method: 'GET', path: () => `/v1/peers/${seg(peer())}` },
    { method: 'POST', path: () => `/v1/peers/${seg(peer())}/heartbeat`, body: () => ({}) },
    { method: 'PUT', path: () => `/v1/peers/${seg(peer())}/summary`, body: () => ({ summary: g.string() }) },
    { method: 'GET', path: () => `/v1/peers/${seg(peer())}/inbox${g.pick(['', '?state=all', '?state=read', '?state[]=all', '?state=all&state=all'])}` },
    { method: 'POST', path: () => `/v1/peers/${seg(peer())}/ack`, body: () => ({ ids: [g.pick(ids.msg)], state: g.pick(['delivered', 'read']) }) },
    { method: 'POST', path: () => '/v1/messages', body: () => ({ to: g.pick([...ids.peer, 'human', 'machine', 'repo', 'directory', 'under:/w']), body: g.string() || 'hi', replyTo: g.chance(0.5) ? g.pick(ids.msg) : null, via: g.pick(['panel', 'terminal', g.string()]), ...(g.chance(0.2) ? { from: peer() } : {}) }) },
    { method: 'GET', path: () => `/v1/messages?limit=${enc(String(g.pick([g.number(), g.string(), '0.5', '-1', ''])))}&before=${enc(String(g.pick([g.number(), g.string(), ''])))}` },
    { method: 'POST', path: () => `/v1/hooks/${seg(g.pick(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd', 'Notification', g.string()]))}${g.pick(['', '?handover=ack', '?conflicts=ask&locks=warn', `?${enc(g.string())}`])}`, body: hook },
    { method: 'POST', path: () => '/v1/hooks/wait', body: () => ({ waitMs: g.int(40) }) },
    { method: 'GET', path: () => '/v1/conflicts' },
    { method: 'GET', path: () => '/v1/locks' },
    { method: 'POST', path: () => `/v1/locks/${seg(g.pick(['deploy', 'git:/w', g.string()]))}/acquire`, body: () => ({ ttlMs: g.pick([1000, 60_000, g.number()]), reason: g.string(), waitMs: g.int(40) }) },
    { method: 'POST', path: () => `/v1/locks/${seg(g.pick(['deploy', g.string()]))}/release`, body: () => ({ force: g.chance(0.2) }) },
    { method: 'GET', path: () => '/v1/claims' },
    { method: 'POST', path: () => '/v1/claims', body: () => ({ paths: [g.string() || 'x', g.pick(['src/**', '/w/a/*.ts', g.string() || '?'])], reason: g.string(), ttlMs: 60_000 }) },
    { method: 'POST', path: () => '/v1/claims/release', body: () => ({ paths: g.chance(0.5) ? [g.string()] : null }) },
    { method: 'GET', path: () => g.pick([`/v1/events?peer=${enc(peer())}`, '/v1/events?all=1', `/v1/events?peer=${ids.peer[0]}&peer=x`]) },
    { method: 'GET', path: () => g.pick(['/v1/nothing', '/v1', '/', '/v1/peers/', '/v1//peers', '/V1/HEALTH', '/v1/health/../peers', '/%2e%2e/v1/peers', `/v1/${'a/'.repeat(500)}`]) },
  ];
  const route = g.pick(routes);
  const method = g.chance(0.05) ? g.pick(['DELETE', 'PATCH', 'PUT', 'POST', 'GET', 'OPTIONS', 'HEAD']) : route.method;
  const headers: Record<string, string> = {};
  const cred = g.pick(credentials);
  if (!g.chance(0.04)) headers.Authorization = `Bearer ${g.chance(0.97) ? cred : g.pick(['', 'x', cred + 'x', cred.toUpperCase()])}`;
  let body: Buffer | string | undefined;
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
    headers['Content-Type'] = g.chance(0.85) ? 'application/json' : g.pick(['text/plain', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/vnd.api+json', 'APPLICATION/JSON', '', 'application/json; charset=utf-16']);
    const json = JSON.stringify(route.body ? g.mutate(route.body()) : g.value());
    switch (g.int(12)) {
      case 0: body = json.slice(0, g.int(json.length)); break; // truncated
      case 1: body = Buffer.from(Array.from({ length: g.int(200) }, () => g.int(256))); break; // random bytes
      case 2: body = '\uFEFF' + json; break;
      case 3: body = '['.repeat(g.pick([100, 5000, 30_000])); break;
      case 4: body = json.replace(/}$/, `, ${JSON.stringify(Object.keys(JSON.parse(json) ?? {})[0] ?? 'a')}: 1}`); break; // duplicate key
      case 5: body = g.pick(['1e999999', '-0', 'null', 'true', '""', '[]', '{}', '{"a":1}garbage', '{"to":"human","body":"x"}\u0000']); break;
      case 6: headers['Content-Encoding'] = g.pick(['gzip', 'deflate', 'br', 'identity', 'x-unknown']); body = json; break;
      default: body = json;
    }
    if (g.chance(0.03)) headers['Content-Length'] = String(Buffer.byteLength(body) + g.pick([1, 1000])); // lies: more is promised than sent
  }
  if (g.chance(0.02)) headers.Host = g.pick(['evil.example', 'localhost:1', '127.0.0.1.nip.io']);
  if (g.chance(0.02)) headers.Origin = 'null';
  return { method, path: route.path(), headers, body };
}

/** encodeURIComponent, but a lone surrogate becomes the bytes of one (invalid UTF-8) instead of throwing. */
function enc(s: string): string {
  const lone = /([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/;
  return s.split(lone).map((p, i) => (i % 2 ? '%ED%A0%80' : encodeURIComponent(p))).join('');
}

const describe = (c: Case) => `${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers)} ${String(c.body ?? '').slice(0, 300)}`;

test(`HTTP API fuzz: ${HTTP_CASES} random requests, never a 5xx (but 503/507), never a hang`, { timeout: 120_000 }, async (t) => {
  const g = new Gen(rng(SEED));
  const cases = Array.from({ length: HTTP_CASES }, () => makeCase(g));
  // FUZZ_ONLY=<i> replays one case (with the same seed) to debug it.
  const only = process.env.FUZZ_ONLY ? process.env.FUZZ_ONLY.split('-').map(Number) : null;
  if (only) cases.splice(0, cases.length, ...cases.slice(only[0], (only[1] ?? only[0]) + 1));
  const counts = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i];
      // A body that promises more than it sends is answered only when the client gives up: that is
      // the client's hang, not the broker's, so it gets a short deadline and no answer is required.
      const lying = c.headers['Content-Length'] !== undefined;
      // A long poll (hooks/wait, lock acquire) whose mutated body asks to wait longer than a case
      // may take is right to be still waiting: it gets a short deadline and no answer is required.
      const patient = /\/(hooks\/wait|acquire)$/.test(c.path) && longWait(c.body, c.path);
      // Over node's 16 KiB header limit, the HTTP parser answers 431 and closes the connection while
      // the client may still be writing, which the client can see as a reset instead.
      const oversized = c.path.length > 16 * 1024;
      let a: Answer;
      try {
        a = await send(c, lying ? 300 : patient ? 1000 : 10_000);
      } catch (e) {
        if (lying || patient) continue;
        if (oversized && /ECONNRESET|EPIPE|socket hang up/.test(`${(e as NodeJS.ErrnoException).code} ${(e as Error).message}`)) { counts.set(431, (counts.get(431) ?? 0) + 1); continue; }
        assert.fail(`case ${i} (FUZZ_SEED=${SEED}): ${(e as Error).message}\n${describe(c)}\nbroker exit ${b.proc.exitCode ?? b.proc.signalCode ?? 'none'}: ${b.stderr().slice(-2000)}`);
      }
      counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
      const documented = (a.status === 503 && a.json?.error?.code === 'database_locked') || (a.status === 507 && a.json?.error?.code === 'disk_full');
      assert.ok(a.status < 500 || documented, `case ${i} (FUZZ_SEED=${SEED}): ${a.status} ${JSON.stringify(a.json)}\n${describe(c)}`);
      if (a.status >= 400 && a.type.includes('json') && c.method !== 'HEAD') {
        assert.equal(typeof a.json?.error?.code, 'string', `case ${i}: error without a code: ${JSON.stringify(a.json)}`);
        assert.equal(typeof a.json?.error?.message, 'string');
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  t.diagnostic(`statuses: ${[...counts].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  if (only === null) assert.ok((counts.get(200) ?? 0) > HTTP_CASES / 20, 'a fair share of the cases got through to the handlers');

  // Still alive and still working.
  assert.equal(b.proc.exitCode, null, 'the broker process is alive');
  assert.equal((await b.client.health())?.ok, true);
  const { messages } = await sessions[0].client.post<any>('/messages', { to: ids.peer[1], body: 'after the fuzz' });
  assert.ok((await b.client.get<any>(`/peers/${ids.peer[1]}/inbox?state=all`)).messages.some((m: any) => m.id === messages[0].id));
  assert.doesNotMatch(b.stderr(), /Broker error|uncaught|unhandled/i);
});

/** A random hook input object (as JSON), mutated: what an HTTP hook may post. */
function hookStdinObject(g: Gen): string {
  for (;;) {
    const t = hookStdin(g);
    try { if (JSON.parse(t) && typeof JSON.parse(t) === 'object') return t; } catch { /* again */ }
  }
}

/** Random hook stdin: garbage, broken JSON, and hook JSON with mutated fields. */
function hookStdin(g: Gen): string {
  const input = {
    session_id: g.string(), transcript_path: g.pick(['/nonexistent/t.jsonl', '/dev/null', '/etc/passwd', '/proc/self/status', g.string()]),
    cwd: g.pick(['/w/a', '/', '.', '..', g.string()]), hook_event_name: g.pick(['PostToolUse', 'PreToolUse', 'Stop', 'UserPromptSubmit', 'SessionStart', 'SessionEnd', 'wait', g.string()]),
    tool_name: g.pick(['Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Bash', g.string()]),
    tool_input: g.pick([{ file_path: g.string() }, { notebook_path: g.string() }, { command: g.string() }, { file_path: g.value() }, g.value()]),
    prompt: g.string(), stop_hook_active: g.value(), source: g.string(),
  };
  switch (g.int(8)) {
    case 0: return Buffer.from(Array.from({ length: g.int(300) }, () => g.int(256))).toString('latin1');
    case 1: return JSON.stringify(g.value());
    case 2: return JSON.stringify(input).slice(0, g.int(200));
    case 3: return g.pick(['', '\n', 'null', '[]', '{', '{"hook_event_name":', '\uFEFF{}', '{"tool_input":{"file_path":"\\u0000"}}']);
    default: return JSON.stringify(g.mutate(input));
  }
}

test(`hook stdin fuzz in-process: parseHookInput, toolFilePath, seenFrames (${HOOK_PARSE_CASES} cases), handleHook (${HOOK_INPROC_CASES})`, { timeout: 60_000 }, async () => {
  const g = new Gen(rng(SEED ^ 0x600d));
  for (let i = 0; i < HOOK_PARSE_CASES; i++) {
    const text = hookStdin(g);
    const where = `case ${i} (FUZZ_SEED=${SEED}): ${JSON.stringify(text.slice(0, 200))}`;
    const input = parseHookInput(text);
    assert.ok(input && typeof input === 'object' && !Array.isArray(input), where);
    const p = toolFilePath(input, g.pick(['/w/a', '/', process.cwd()]));
    assert.ok(p === null || (typeof p === 'string' && isAbsolute(p) && !p.includes('\0')), `${where} → ${p}`);
    assert.ok(Array.isArray(seenFrames(input)), where);
  }
  const env = { ...process.env, CLAUDE_PEERS_HOME: b.home, CLAUDE_PEERS_PORT: String(b.port), CLAUDE_PID: String(claude.pid), CLAUDE_PEERS_CLAUDE_PID: '' };
  for (let i = 0; i < HOOK_INPROC_CASES; i++) {
    const text = hookStdin(g);
    const out = await handleHook(g.pick(['PostToolUse', 'PreToolUse', 'Stop', 'UserPromptSubmit', '', 'bogus']), text, env);
    assert.equal(out.exitCode, 0, `case ${i}: ${JSON.stringify(text.slice(0, 200))}`);
    if (out.stdout) assert.doesNotThrow(() => JSON.parse(out.stdout), `case ${i}: stdout is one JSON document`);
  }
});

test(`hook stdin fuzz through real \`claude-peers hook PostToolUse\` processes (${HOOK_PROCESS_CASES})`, { timeout: 60_000 }, async () => {
  const g = new Gen(rng(SEED ^ 0xbeef));
  const inputs = Array.from({ length: HOOK_PROCESS_CASES }, (_, i) => (i === 0 ? 'x'.repeat(5 * 1024 * 1024) : hookStdin(g)));
  const run = (stdin: string) => new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, 'hook', 'PostToolUse'], {
      env: { ...process.env, CLAUDE_PEERS_HOME: b.home, CLAUDE_PEERS_PORT: String(b.port), CLAUDE_PID: String(claude.pid), CLAUDE_PEERS_CLAUDE_PID: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => { /* the hook may stop reading early */ });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000); // the hook's own deadline is 950 ms; node's start-up is the rest
    child.on('exit', (code, signal) => { clearTimeout(killer); resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }); });
    child.stdin.end(stdin);
  });
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < inputs.length) {
      const i = next++;
      const r = await run(inputs[i]);
      const where = `case ${i} (FUZZ_SEED=${SEED}): ${JSON.stringify(inputs[i].slice(0, 200))}`;
      assert.equal(r.signal, null, `${where}: killed (${r.signal}) after ${r.ms} ms — a hang`);
      assert.equal(r.code, 0, `${where}: exit ${r.code}, stderr ${r.stderr}`);
      assert.equal(r.stderr, '', `${where}: nothing on stderr`);
      if (r.stdout.trim()) assert.doesNotThrow(() => JSON.parse(r.stdout), `${where}: stdout is one JSON document`);
    }
  }));
  assert.equal((await b.client.health())?.ok, true, 'the broker answers after the hooks');
});
