// Running the real Claude Code CLI in tests: a scratch HOME that skips onboarding, an environment
// that points it at the fake Messages API and at the test broker, our MCP server and hooks as
// Claude Code would be configured with them, a `claude -p` runner and a tmux-driven interactive
// session. Nothing here talks to anything but loopback.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, realpathSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { hookSettings, shellQuote } from '../../src/common/hook-config.ts';
import type { Peer } from '../../src/protocol/wire.ts';
import { CLI, spawnBroker, startMcpPeer, tempHome, waitFor, type BrokerProc, type McpPeer } from './processes.ts';
import { isMainLoop, startFakeAnthropic, text, type FakeAnthropic, type Script } from './fake-anthropic.ts';

export const CLAUDE_BIN = resolve(__dirname, '../../node_modules/.bin/claude');
export const API_KEY = 'sk-test';

export interface ClaudeWorld {
  /** The scratch HOME (holds .claude.json, .claude/, settings and MCP config files). */
  home: string;
  /** The project folder claude runs in (trusted in .claude.json). */
  cwd: string;
  fakeUrl: string;
  brokerPort: number;
  brokerHome: string;
  /** Our MCP server pushes channel notifications and registers with channels on. */
  channels?: boolean;
}

/** A scratch HOME whose .claude.json has onboarding done, our key approved and `projects` trusted. */
export function scratchHome(projects: string[], opts: { channelsFlag?: boolean } = {}): string {
  const home = tempHome('cp-claude-');
  const cfg: Record<string, unknown> = {
    hasCompletedOnboarding: true,
    lastOnboardingVersion: '2.1.328',
    numStartups: 1,
    customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
    projects: Object.fromEntries(projects.map((p) => [p, { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] }])),
  };
  // Channels are behind a feature flag an offline CLI cannot fetch; the disk cache turns it on.
  if (opts.channelsFlag) cfg.cachedGrowthBookFeatures = { tengu_harbor: true };
  writeFileSync(join(home, '.claude.json'), JSON.stringify(cfg, null, 2));
  mkdirSync(join(home, '.claude'), { recursive: true });
  mkdirSync(join(home, 'tmp'), { recursive: true });
  return home;
}

/** A fresh project folder (realpath: Claude Code and the hooks resolve symlinks like /tmp). */
export function projectDir(prefix = 'cp-proj-'): string {
  return realpathSync(tempHome(prefix));
}

/** A git repository with one commit, in a fresh project folder; `git` runs git in it. */
export function gitRepo(): { repo: string; git: (...args: string[]) => string } {
  const repo = projectDir('cp-repo-');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: repo } }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.invalid');
  git('config', 'user.name', 'Test');
  writeFileSync(join(repo, 'README.md'), '# repo\n');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return { repo, git };
}

/** Side requests get a harmless answer; each turn of the main loop answers REPLY-<n>. */
export function replyScript(w: { fake: FakeAnthropic }): void {
  let turn = 0;
  w.fake.setScript((r) => (isMainLoop(r.body) ? [text(`REPLY-${++turn}`)] : [text('side request')]));
}

/** The environment of the claude process: fake API, scratch HOME, the test broker, no telemetry. */
export function claudeEnv(w: ClaudeWorld, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  // Nothing of an outer Claude Code session or of a real broker leaks into the test.
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(CLAUDE|ANTHROPIC|CLAUDECODE|TMUX|XDG_)/.test(k)) continue;
    base[k] = v;
  }
  const env: NodeJS.ProcessEnv = {
    ...base,
    HOME: w.home,
    USERPROFILE: w.home,
    XDG_CONFIG_HOME: join(w.home, '.config'),
    XDG_CACHE_HOME: join(w.home, '.cache'),
    XDG_DATA_HOME: join(w.home, '.local/share'),
    XDG_STATE_HOME: join(w.home, '.local/state'),
    TERM: 'xterm-256color',
    ANTHROPIC_BASE_URL: w.fakeUrl,
    ANTHROPIC_API_KEY: API_KEY,
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_GB_DISK_CACHE_WHEN_TELEMETRY_OFF: '1',
    // Claude Code's scratch files (otherwise /tmp/claude-<uid>/…) stay in the scratch HOME.
    CLAUDE_CODE_TMPDIR: join(w.home, 'tmp'),
    CLAUDE_PEERS_HOME: w.brokerHome,
    CLAUDE_PEERS_PORT: String(w.brokerPort),
    CLAUDE_PEERS_AUTOSTART: '0',
    // The hooks' own broker deadline (800 ms) is meant for an idle machine; CI machines are not.
    CLAUDE_PEERS_HOOK_DEADLINE_MS: '3000',
    ...extra,
  };
  if (process.getuid?.() === 0) env.IS_SANDBOX = '1'; // root may only bypass permissions in a sandbox
  return env;
}

/** The stdio server entry for our MCP server, as `claude mcp add-json` and --mcp-config take it. */
export function mcpServerEntry(w: ClaudeWorld): { type: 'stdio'; command: string; args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {
    CLAUDE_PEERS_HOME: w.brokerHome,
    CLAUDE_PEERS_PORT: String(w.brokerPort),
    CLAUDE_PEERS_AUTOSTART: '0',
    CLAUDE_PEERS_HEARTBEAT_MS: '1000',
  };
  if (w.channels) env.CLAUDE_PEERS_CHANNELS = '1';
  return { type: 'stdio', command: process.execPath, args: [CLI, 'mcp'], env };
}

export function mcpConfig(w: ClaudeWorld): { mcpServers: Record<string, unknown> } {
  return { mcpServers: { 'claude-peers': mcpServerEntry(w) } };
}

/** Our hooks (one definition in src/hooks/settings.ts) with the real CLI's commands. */
export function peerHooks(): ReturnType<typeof hookSettings> {
  return hookSettings({ kind: 'command', command: (ev) => `${shellQuote(process.execPath)} ${shellQuote(CLI)} hook ${ev}` });
}

/** Writes the MCP config and the settings (hooks unless `hooks: false`) into the scratch HOME. */
export function writeConfigs(w: ClaudeWorld, opts: { hooks?: boolean; settings?: Record<string, unknown> } = {}): { mcpConfigPath: string; settingsPath: string } {
  const mcpConfigPath = join(w.home, 'mcp-config.json');
  const settingsPath = join(w.home, 'test-settings.json');
  writeFileSync(mcpConfigPath, JSON.stringify(mcpConfig(w), null, 2));
  const settings = { ...(opts.hooks === false ? {} : peerHooks()), skipDangerousModePermissionPrompt: true, ...opts.settings };
  writeFileSync(settingsPath, JSON.stringify(settings, null, 2));
  return { mcpConfigPath, settingsPath };
}

/** The flags every scripted session uses: our server only, our hooks, no permission prompts. */
export function sessionArgs(w: ClaudeWorld, opts: { hooks?: boolean; debugFile?: string } = {}): string[] {
  const { mcpConfigPath, settingsPath } = writeConfigs(w, opts);
  const args = ['--mcp-config', mcpConfigPath, '--strict-mcp-config', '--settings', settingsPath, '--permission-mode', 'bypassPermissions'];
  if (opts.debugFile) args.push('--debug-file', opts.debugFile);
  return args;
}

// ---- processes --------------------------------------------------------------------------------

const live = new Set<number>();
const tmuxSockets = new Set<string>();
/** Where `tmux -L <name>` puts its socket; tmux leaves the file behind after kill-server. */
const tmuxSocketPath = (name: string) => join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, name);

process.on('exit', () => {
  for (const sock of tmuxSockets) {
    spawnSync('tmux', ['-L', sock, 'kill-server'], { stdio: 'ignore' });
    rmSync(tmuxSocketPath(sock), { force: true });
  }
  for (const pid of live) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
});

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Every descendant of a process (children first found, then theirs). */
export function descendants(pid: number): number[] {
  const r = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const kids = new Map<number, number[]>();
  for (const line of r.stdout.split('\n')) {
    const [c, p] = line.trim().split(/\s+/).map(Number);
    if (!c) continue;
    kids.set(p, [...(kids.get(p) ?? []), c]);
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const c of kids.get(p) ?? []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

/** Our hook processes (any Claude Code started) that talk to the broker in `brokerHome`. */
export function hookProcessesOf(brokerHome: string): number[] {
  if (process.platform !== 'linux') return [];
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (!((cmd.includes(CLI) && cmd.includes('hook')) || cmd.includes(CLI.replace(/cli\.js$/, 'hook.js')))) continue;
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`CLAUDE_PEERS_HOME=${brokerHome}`)) out.push(Number(d));
    } catch { /* gone or not ours */ }
  }
  return out;
}

/** Waits for processes to end by themselves, then SIGKILLs what is left. */
export async function reap(pids: number[], graceMs = 5000): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids) if (alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number; endedAt: number }

/** Runs the claude binary to completion (killed after timeoutMs). */
export function runClaude(args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number; input?: string; launcher?: boolean }): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolveRun, reject) => {
    // Through `claude-peers claude`: the real claude found on PATH, started as an enrolled terminal starts it.
    const [cmd, argv, env] = opts.launcher
      ? [process.execPath, [CLI, 'claude', ...args], { ...opts.env, PATH: `${dirname(CLAUDE_BIN)}${delimiter}${opts.env.PATH ?? ''}` }]
      : [CLAUDE_BIN, args, opts.env];
    const p = spawn(cmd, argv, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    if (p.pid) live.add(p.pid);
    let kids: number[] = [];
    const watchKids = setInterval(() => { if (p.pid) kids = [...new Set([...kids, ...descendants(p.pid)])]; }, 500);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    p.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => { p.kill('SIGKILL'); }, opts.timeoutMs ?? 45_000);
    p.on('error', (e) => { clearTimeout(timer); clearInterval(watchKids); reject(e); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watchKids);
      if (p.pid) live.delete(p.pid);
      const endedAt = Date.now();
      // Its MCP server and hooks end with it; make sure nothing outlives the test.
      void reap(kids, 3000).then(() => resolveRun({ code, signal, stdout, stderr, ms: endedAt - t0, endedAt }));
    });
  });
}

/**
 * `claude-peers claude -p <prompt>` in Claude Code's default permission mode, as a user types it:
 * the launcher adds our MCP server, its hooks (HTTP ones when the broker proves itself) and the
 * allow rule for our tools. `args` are the user's own (e.g. --allowedTools).
 */
export function runLaunched(w: ClaudeWorld, prompt: string, opts: { args?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  const env = claudeEnv(w, { CLAUDE_PEERS_HEARTBEAT_MS: '1000', ...(w.channels ? { CLAUDE_PEERS_CHANNELS: '1' } : {}), ...opts.env });
  delete env.IS_SANDBOX; // nothing here needs bypass mode
  return runClaude(['-p', prompt, ...(opts.args ?? [])], { env, cwd: w.cwd, timeoutMs: opts.timeoutMs, launcher: true });
}

/** `claude -p <prompt>` with our MCP server and hooks. */
export function runPrint(w: ClaudeWorld, prompt: string, opts: { hooks?: boolean; extraArgs?: string[]; env?: Record<string, string>; timeoutMs?: number; debugFile?: string } = {}): Promise<RunResult> {
  const args = ['-p', prompt, ...sessionArgs(w, opts), ...(opts.extraArgs ?? [])];
  return runClaude(args, { env: claudeEnv(w, opts.env), cwd: w.cwd, timeoutMs: opts.timeoutMs });
}

// ---- tmux ------------------------------------------------------------------------------------

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Skips the test when tmux is missing, except under CI=true where that is a failure. */
export function needTmux(t: TestContext): boolean {
  if (tmuxAvailable()) return true;
  if (process.env.CI === 'true') throw new Error('tmux is required for the interactive Claude Code tests (CI=true): install it (apt-get install tmux).');
  t.skip('tmux is not installed: interactive Claude Code tests skipped');
  return false;
}

let tmuxSeq = 0;

/** An interactive claude in a detached tmux session on its own server socket. */
export class TmuxClaude {
  readonly socket: string;
  private closed = false;

  private constructor(socket: string) { this.socket = socket; }

  /** `launcher`: through `claude-peers claude`, as an enrolled terminal starts it (default permission mode). */
  static start(w: ClaudeWorld, args: string[], opts: { env?: Record<string, string>; launcher?: boolean } = {}): TmuxClaude {
    const socket = `cp-test-${process.pid}-${++tmuxSeq}`;
    const t = new TmuxClaude(socket);
    const cmd = (opts.launcher ? [process.execPath, CLI, 'claude', ...args] : [CLAUDE_BIN, ...args]).map(shellQuote).join(' ');
    const env = claudeEnv(w, opts.env);
    if (opts.launcher) {
      env.PATH = `${dirname(CLAUDE_BIN)}${delimiter}${env.PATH ?? ''}`;
      delete env.IS_SANDBOX;
    }
    tmuxSockets.add(socket);
    const r = t.tmux(['-f', '/dev/null', 'new-session', '-d', '-x', '180', '-y', '45', '-s', 'claude', '-c', w.cwd, cmd, ';', 'set-option', '-g', 'remain-on-exit', 'on'], env);
    if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
    return t;
  }

  private tmux(args: string[], env: NodeJS.ProcessEnv = process.env) {
    return spawnSync('tmux', ['-L', this.socket, ...args], { env, encoding: 'utf8', timeout: 10_000 });
  }

  /** The visible screen, as text. */
  screen(): string {
    const r = this.tmux(['capture-pane', '-p', '-t', 'claude']);
    return r.status === 0 ? r.stdout : '';
  }

  /** tmux send-keys: literal text with `literal`, or key names ("Enter", "Escape", "C-c"). */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'claude', ...keys]);
  }

  type(text: string): void {
    this.tmux(['send-keys', '-t', 'claude', '-l', text]);
  }

  /**
   * Types a prompt and submits it: waits until the input line shows it, presses Enter, and presses
   * it again while the text still sits in the input (a key sent while the UI is busy can be lost).
   */
  async submit(text: string, timeoutMs = 20_000): Promise<void> {
    const escaped = text.slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // The input is the last line with the prompt mark (the transcript above echoes sent prompts with it too).
    const inInput = () => new RegExp(`❯[ \u00a0]+${escaped}`).test(this.screen().split('\n').filter((l) => l.includes('❯')).at(-1) ?? '');
    // Keys typed while Claude Code is still drawing its first screen can be dropped: type until it shows.
    let typedAt = 0;
    await waitFor(() => {
      if (inInput()) return true;
      if (Date.now() - typedAt > 2000) { typedAt = Date.now(); this.type(text); }
      return false;
    }, timeoutMs, `the prompt "${text}" in the input`, 200);
    await waitFor(() => { if (!inInput()) return true; this.keys('Enter'); return false; }, timeoutMs, `"${text}" submitted`, 500);
  }

  /**
   * Answers a dialog: presses `key` until the screen no longer shows `dialog` (a key sent while the
   * UI is busy can be lost; a second press after the dialog went lands in the empty input, harmlessly).
   */
  async answer(dialog: RegExp, key = 'Enter', timeoutMs = 20_000): Promise<void> {
    let pressedAt = 0;
    await waitFor(() => {
      if (!dialog.test(this.screen())) return true;
      if (Date.now() - pressedAt > 1500) { pressedAt = Date.now(); this.keys(key); }
      return false;
    }, timeoutMs, `the dialog ${dialog} answered with ${key}`, 200)
      .catch((e: Error) => { throw new Error(`${e.message}\n--- screen ---\n${this.screen()}`); });
  }

  waitForScreen(re: RegExp, timeoutMs = 15_000, what = String(re)): Promise<string> {
    return waitFor(() => { const s = this.screen(); return re.test(s) ? s : ''; }, timeoutMs, `screen to show ${what}`)
      .catch((e: Error) => { throw new Error(`${e.message}\n--- screen ---\n${this.screen()}`); });
  }

  /** The pid of the process running in the pane (claude itself: tmux execs the command via sh). */
  panePid(): number {
    const r = this.tmux(['display-message', '-p', '-t', 'claude', '#{pane_pid}']);
    return Number(r.stdout.trim());
  }

  /** Ends the session: claude gets SIGHUP, then whatever it left running is killed. */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pane = this.panePid();
    const pids = pane ? [pane, ...descendants(pane)] : [];
    this.tmux(['kill-server']);
    tmuxSockets.delete(this.socket);
    rmSync(tmuxSocketPath(this.socket), { force: true });
    await reap(pids, 5000);
  }
}

/**
 * Takes away the cross-session inbox of every session in this scratch HOME (as on Windows, or when
 * Claude Code switched it off): the socket file goes, so nothing can connect to it any more.
 */
export function removeInboxSockets(w: ClaudeWorld): number {
  const dir = join(w.home, '.claude', 'sessions');
  let n = 0;
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (!/^\d+\.json$/.test(f)) continue;
    const sock = JSON.parse(readFileSync(join(dir, f), 'utf8')).messagingSocketPath;
    if (typeof sock === 'string' && existsSync(sock)) { rmSync(sock); n++; }
  }
  return n;
}

/** Reads a file if it exists ('' otherwise): for debug logs in failure messages. */
export function readIfExists(path: string): string {
  try { return existsSync(path) ? readFileSync(path, 'utf8') : ''; } catch { return ''; }
}

// ---- a whole test world ---------------------------------------------------------------------

export interface World extends ClaudeWorld {
  broker: BrokerProc;
  fake: FakeAnthropic;
  /** Other peers: real `claude-peers mcp` processes driven by the MCP SDK client. */
  peers: McpPeer[];
  addPeer(opts?: { cwd?: string }): Promise<{ peer: McpPeer; name: string; id: string }>;
  /** The claude session's own peer (registered by its MCP server and hooks, found by its cwd). */
  claudePeer(timeoutMs?: number, all?: boolean): Promise<Peer>;
  close(): Promise<void>;
}

/** A broker (ephemeral port, temp home), the fake API, a scratch HOME and a project folder. */
export async function startWorld(opts: { script?: Script; channels?: boolean; cwd?: string } = {}): Promise<World> {
  const brokerHome = tempHome('cp-broker-');
  const cwd = opts.cwd ?? projectDir();
  const home = scratchHome([cwd], { channelsFlag: true });
  // The broker reads this scratch HOME's Claude Code session files, as it reads ~/.claude's.
  const broker = await spawnBroker(brokerHome, { env: { CLAUDE_PEERS_TTL_MS: '4000', CLAUDE_PEERS_SWEEP_MS: '500', CLAUDE_PEERS_CLAUDE_HOMES: join(home, '.claude') } });
  const fake = await startFakeAnthropic(opts.script);
  const peers: McpPeer[] = [];
  const w: World = {
    home, cwd, fakeUrl: fake.url, brokerPort: broker.port, brokerHome, channels: opts.channels,
    broker, fake, peers,
    async addPeer(o = {}) {
      const peer = await startMcpPeer(brokerHome, broker.port, { cwd: o.cwd });
      peers.push(peer);
      const me = await waitFor(async () => (await peer.call('whoami')).structured, 5000, 'the SDK peer to register');
      return { peer, name: me.name as string, id: me.id as string };
    },
    claudePeer(timeoutMs = 15_000, all = false) {
      return waitFor(async () => (await broker.client.get<{ peers: Peer[] }>(`/peers${all ? '?all=1' : ''}`)).peers.find((p) => p.cwd === cwd && p.kind === 'peer'), timeoutMs, `a peer registered for ${cwd}`);
    },
    async close() {
      for (const p of peers) await p.close();
      await broker.kill();
      await fake.close();
      // Claude Code starts async hooks (our `hook wait`) detached from its process tree.
      await reap(hookProcessesOf(brokerHome), 3000);
    },
  };
  return w;
}
