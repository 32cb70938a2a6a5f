// How long a message takes to be in front of the model of a session that sits idle at its prompt:
// the real Claude Code CLI, interactive in tmux, started by `claude-peers claude`, against the fake
// Messages API. Latency = POST /v1/messages (another session sends) → the fake model receives the
// request that contains the message (Claude Code started a turn with it). Three ways in:
//   inbox    Claude Code's own cross-session inbox: the broker writes the message into the
//            session's messaging socket (idle, no channels, not bypass mode);
//   waiter   the same session with its socket file removed (Windows, or Claude Code switched the
//            inbox off): the broker's write fails and the Stop hook's asyncRewake waiter (a
//            `node dist/hook.js wait` process long-polling the broker) exits 2 with the message;
//   channel  a session launched with channels on (CLAUDE_PEERS_CHANNELS=1, the development
//            channels flag, the feature flag from the disk cache): our MCP server pushes
//            notifications/claude/channel.
// Baseline, in the same sessions: the user presses Enter on a typed prompt → the request (how fast
// Claude Code starts a turn at all). Before each sample the session has been idle for a while (its
// turn ended, the broker shows it idle, its waiter is running): the message finds it asleep, as a
// real one would. The path each sample took is read from the request (Claude Code's own framing).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { QUICK, ms, now, report, run, skipUnless, sleep, stats, waitFor } from './lib.ts';
import { CLAUDE_BIN, hookProcessesOf, readIfExists, removeInboxSockets, startWorld, tmuxAvailable, TmuxClaude, type World } from '../test/support/claude-cli.ts';
import { isMainLoop, lastUserText, text } from '../test/support/fake-anthropic.ts';
import { fakeClaude, registerSession, type TestSession } from '../test/support/processes.ts';
import type { Message, Peer } from '../src/protocol/wire.ts';

const SAMPLES = QUICK ? 2 : 8;
const TYPED = QUICK ? 1 : 4;
/** How long the session has been idle (turn over, waiter running) before a message is sent. */
const IDLE_MS = QUICK ? 800 : 2000;
/** A sample that takes longer counts as a miss (reported); a path with no hit at all breaks the run. */
const MISS_MS = 30_000;

type Path = 'inbox' | 'waiter' | 'channel' | 'typed' | 'other';
interface Sample { path: Path; ms: number | null }

/** The way the message reached the model, by Claude Code's own framing of it. */
function pathOf(u: string): Path {
  if (u.includes('<channel source="claude-peers"')) return 'channel';
  if (/Another Claude session sent a message/.test(u)) return 'inbox';
  if (/Stop hook blocking error/.test(u) || u.includes('[claude-peers] 1 unread message')) return 'waiter';
  return 'other';
}

/** A launched interactive session in tmux with its own world (broker, fake model, scratch HOME). */
class WakeSession {
  turn = 0;
  /** Resolves when a main-loop request with this tag arrives: with its time and user text. */
  private expect: { tag: string; done: (v: { at: number; text: string }) => void } | null = null;
  t!: TmuxClaude;
  me!: Peer;
  sender!: TestSession;
  debug: string;
  constructor(readonly w: World, readonly channels: boolean) {
    this.debug = join(w.home, 'claude-debug.log');
    w.fake.setScript((r) => {
      if (!isMainLoop(r.body)) return [text('side request')];
      const u = lastUserText(r.body);
      if (this.expect && u.includes(this.expect.tag)) { this.expect.done({ at: now(), text: u }); this.expect = null; }
      return [text(`REPLY-${++this.turn}`)];
    });
  }

  static async start(channels: boolean): Promise<WakeSession> {
    const s = new WakeSession(await startWorld({ channels }), channels);
    const claude = fakeClaude();
    process.on('exit', () => claude.kill('SIGKILL'));
    s.sender = await registerSession(s.w.broker, { pid: claude.pid!, cwd: '/bench/sender' });
    s.t = TmuxClaude.start(s.w, ['--debug-file', s.debug], { launcher: true, env: channels ? { CLAUDE_PEERS_CHANNELS: '1' } : {} });
    if (channels) {
      await s.t.waitForScreen(/Loading development channels[^]*I am using this for local development/, 60_000, 'the development channels warning');
      s.t.keys('Enter');
    }
    await s.t.waitForScreen(/\n❯[ \u00a0]*\n/, 60_000, 'the prompt');
    s.me = await s.w.claudePeer(30_000);
    if (channels) await waitFor(() => readIfExists(s.debug).includes('MCP server "claude-peers": Channel notifications registered'), 30_000, 'Claude Code to register our channel');
    // One turn first: the Stop hook at its end starts the idle waiter.
    await s.t.submit('hello', 30_000);
    await s.t.waitForScreen(/REPLY-1/, 30_000, 'the first answer');
    return s;
  }

  /** The turn is over, the broker sees the session idle, its waiter runs; then it stays idle a while. */
  async settle(): Promise<void> {
    await waitFor(() => new RegExp(`REPLY-${this.turn}\\b`).test(this.t.screen()), 30_000, `REPLY-${this.turn} on screen`);
    await waitFor(() => waiters(this.w).length > 0, 30_000, 'the idle waiter to run');
    await waitFor(async () => (await this.w.claudePeer()).status === 'idle', 30_000, 'the session to be idle');
    await sleep(IDLE_MS + Math.random() * 500);
  }

  private arrival(tag: string): Promise<{ at: number; text: string } | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.expect = null; resolve(null); }, MISS_MS);
      this.expect = { tag, done: (v) => { clearTimeout(timer); resolve(v); } };
    });
  }

  /** Sends a message as another session; the time until the model's request carries it. */
  async message(tag: string): Promise<Sample> {
    await this.settle();
    const arrived = this.arrival(tag);
    const t0 = now();
    await this.sender.client.post('/messages', { to: this.me.id, body: `Wake probe ${tag}: are you there?` });
    const a = await arrived;
    if (!a) return { path: 'other', ms: null };
    await waitFor(async () => (await this.w.broker.client.get<{ messages: Message[] }>(`/peers/${this.me.id}/inbox?state=all`)).messages
      .filter((m) => m.body.includes(tag)).every((m) => m.state === 'read'), 15_000, `the message ${tag} marked read`).catch(() => {});
    return { path: pathOf(a.text), ms: a.at - t0 };
  }

  /** The floor: a typed prompt, Enter pressed → the request (Enter pressed again if the UI dropped it). */
  async typed(tag: string): Promise<Sample> {
    await this.settle();
    const prompt = `typed ${tag}`;
    this.t.type(prompt);
    await waitFor(() => (this.t.screen().split('\n').filter((l) => l.includes('❯')).at(-1) ?? '').includes(prompt), 15_000, 'the typed prompt in the input');
    const arrived = this.arrival(tag);
    const t0 = now();
    this.t.keys('Enter');
    const retry = setInterval(() => { if ((this.t.screen().split('\n').filter((l) => l.includes('❯')).at(-1) ?? '').includes(prompt)) this.t.keys('Enter'); }, 2000);
    const a = await arrived;
    clearInterval(retry);
    return a ? { path: 'typed', ms: a.at - t0 } : { path: 'other', ms: null };
  }

  async close(): Promise<void> {
    await this.t?.kill();
    await this.w.close();
  }
}

/** The session's idle waiters: `hook.js wait` processes talking to this world's broker. */
function waiters(w: World): number[] {
  return hookProcessesOf(w.brokerHome).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('wait'); } catch { return false; }
  });
}

run(async () => {
  if (!skipUnless('wake', 'Time until a message is in front of an idle session\'s model', [
    ['tmux', tmuxAvailable],
    ['claude', () => spawnSync(CLAUDE_BIN, ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout?.includes('Claude Code') ?? false],
  ])) return;
  // Table order: each session's baseline above its ways in.
  const results: Record<string, Sample[]> = { typed: [], inbox: [], waiter: [], 'typed (channels session)': [], channel: [] };
  let k = 0;
  const tag = () => `w${process.pid}x${++k}z`;

  const plain = await WakeSession.start(false);
  for (let i = 0; i < TYPED; i++) results.typed.push(await plain.typed(tag()));
  for (let i = 0; i < SAMPLES; i++) results.inbox.push(await plain.message(tag()));
  // Take the inbox away: from now on the waiter is the only way in.
  await plain.settle();
  if (removeInboxSockets(plain.w) !== 1) throw new Error('expected one inbox socket to remove');
  for (let i = 0; i < SAMPLES; i++) results.waiter.push(await plain.message(tag()));
  await plain.close();
  console.log(`  inbox p50 ${ms(stats(ok(results.inbox)).p50)} ms, waiter p50 ${ms(stats(ok(results.waiter)).p50)} ms`);

  const ch = await WakeSession.start(true);
  for (let i = 0; i < TYPED; i++) results['typed (channels session)'].push(await ch.typed(tag()));
  for (let i = 0; i < SAMPLES; i++) results.channel.push(await ch.message(tag()));
  await ch.close();

  const expected: Record<string, Path> = { inbox: 'inbox', waiter: 'waiter', channel: 'channel', typed: 'typed', 'typed (channels session)': 'typed' };
  const label: Record<string, string> = {
    typed: 'baseline: the user presses Enter (launched session)',
    inbox: 'inbox socket (launched session)',
    waiter: 'asyncRewake waiter (same session, inbox socket removed)',
    'typed (channels session)': 'baseline: the user presses Enter (channels session)',
    channel: 'channel push (launched with channels on)',
  };
  const rows = Object.entries(results).map(([mode, xs]) => {
    const s = stats(ok(xs));
    const paths = Object.entries(xs.reduce<Record<string, number>>((a, x) => { if (x.ms !== null) a[x.path] = (a[x.path] ?? 0) + 1; return a; }, {}))
      .map(([p, n]) => `${p} ${n}`).join(', ');
    return [label[mode], xs.length, ms(s.p50), ms(s.max), ms(Math.min(...ok(xs))), xs.filter((x) => x.ms === null).length, paths || '—', xs.filter((x) => x.ms !== null && x.path !== expected[mode]).length];
  });
  for (const [mode, xs] of Object.entries(results)) if (xs.length && !ok(xs).length) throw new Error(`${mode}: no message reached the model within ${MISS_MS / 1000} s in ${xs.length} tries`);
  report({
    name: 'wake',
    title: 'Time until a message is in front of an idle session\'s model',
    notes: [
      `Claude Code ${spawnSync(CLAUDE_BIN, ['--version'], { encoding: 'utf8' }).stdout.trim()}, interactive in tmux (180×45), started by \`claude-peers claude\` (default permission mode), against the fake Messages API; the sender is another registered session (POST /v1/messages with its key).`,
      `Latency: the send started → the fake model received the main-loop request that contains the message. ${SAMPLES} messages per way in, ${TYPED} typed prompts per session; before each, the session's turn ended, the broker showed it idle, its waiter ran, and ${IDLE_MS / 1000}–${IDLE_MS / 1000 + 0.5} s passed.`,
      'Path: how the message reached the model, read from the request ("Another Claude session sent a message" = the inbox socket; "Stop hook blocking error" = the waiter\'s exit 2; `<channel source="claude-peers">` = the channel push); "other path" counts samples that came in some other way than the row\'s. Misses: no request within 30 s.',
      'The inbox and waiter rows are the same session, inbox first; for the waiter its socket file was removed, so the broker\'s write fails (ENOENT) before it wakes the waiter. Channels: a session of its own (the development channels dialog answered, the feature flag from the disk cache).',
      'Baseline: the user types a prompt and presses Enter (tmux send-keys) → the request: the time Claude Code itself takes to start a turn.',
    ],
    tables: [{
      caption: 'message sent → the model\'s request contains it, idle interactive session (ms)',
      columns: ['way in', 'samples', 'p50', 'max', 'min', 'misses', 'path taken', 'other path'],
      rows,
    }],
    data: { wake: results },
  });
});

function ok(xs: Sample[]): number[] { return xs.flatMap((x) => (x.ms === null ? [] : [x.ms])); }
