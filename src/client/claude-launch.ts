// Starting a real `claude` on the peer network: what runs when someone types `claude` in a VS Code
// terminal the extension enrolled (the shim), and `claude-peers claude` in any terminal. It finds
// the real `claude` further down PATH and starts it with our MCP server and hooks added once,
// nothing else changed: the user's arguments pass through untouched (their own --settings is
// merged, not replaced), and management commands (`claude mcp`, `--version`…) run as they are.
//
// Each launch gets a fresh session key in claude's environment (its MCP server and hooks share it,
// nothing else knows it). When the broker on the port proves itself right now, the hot hooks are
// HTTP hooks on it (no process per hook); otherwise they stay command hooks, which check the
// broker on every call. We pass --mcp-config and --settings rather than the plugin
// (--plugin-dir): the plugin would name our tools mcp__plugin_claude-peers_claude-peers__*, the
// channels flag wants a server named claude-peers, and the HTTP hooks carry this launch's port.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { delimiter, join, resolve, win32 } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { SESSION_KEY_ENV } from '../protocol/credentials.ts';
import { allowOurTools, hooksFor, mcpConfig, SERVER_NAME, type HookPlacement, type Runtime } from '../common/launch-config.ts';
import { loadConfig } from '../common/config.ts';
import { newSessionKey } from '../common/session-key.ts';
import { BrokerClient } from './broker-client.ts';
import { windowsCommand } from './windows-command.ts';

export const SHIM_CONFIG = 'shim.json';

export interface ShimConfig {
  /** Off: every `claude` passes straight through (enrolment switched off in VS Code). */
  enabled: boolean;
  /** Adds --dangerously-load-development-channels server:claude-peers (opt-in: a dialog at every start). */
  channels: boolean;
  runtime: Runtime;
  /** What an agent is told before a conflicting edit, and before a command that needs a lock held elsewhere. */
  conflicts?: string;
  locks?: string;
}

/** Subcommands and flags for which a session is not started: never add our flags to them. */
const PASS_THROUGH_COMMANDS = new Set(['mcp', 'config', 'doctor', 'update', 'upgrade', 'install', 'migrate-installer', 'setup-token', 'plugin', 'plugins', 'auth', 'login', 'logout']);
const PASS_THROUGH_FLAGS = new Set(['-v', '--version', '-h', '--help']);

export function shouldPassThrough(args: string[]): boolean {
  if (args.some((a) => PASS_THROUGH_FLAGS.has(a))) return true;
  // A management command only counts as the first argument: `claude -p mcp` is a session.
  return PASS_THROUGH_COMMANDS.has(args[0] ?? '');
}

/**
 * The first `claude` on PATH that is not a claude-peers shim. On Windows PATH entries are split at
 * ";" and each folder is tried with every PATHEXT extension (case as Windows has it), then bare.
 */
export function findRealClaude(pathVar: string, skipDirs: string[], platform = process.platform, exts = (process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';')): string | null {
  const win = platform === 'win32';
  const norm = (d: string) => (win ? resolve(d).toLowerCase() : resolve(d));
  const skip = new Set(skipDirs.map(norm));
  const names = win ? exts.filter(Boolean).map((e) => `claude${e.toLowerCase()}`).concat('claude') : ['claude'];
  for (const raw of pathVar.split(win ? ';' : delimiter)) {
    // Windows PATH entries may be quoted ("C:\Program Files\…").
    const dir = win ? raw.replace(/^"(.*)"$/, '$1') : raw;
    if (!dir || skip.has(norm(dir))) continue;
    if (existsSync(join(dir, SHIM_CONFIG))) continue; // another window's shim folder
    for (const n of names) {
      const p = join(dir, n);
      try {
        if (!statSync(p).isFile()) continue;
        if (!win) accessSync(p, constants.X_OK);
        return p;
      } catch { /* not here */ }
    }
  }
  return null;
}

type Settings = { hooks?: Record<string, unknown[]>; permissions?: { allow?: unknown[]; [k: string]: unknown }; [k: string]: unknown };

/** Merges the user's own settings (JSON text or a file path) with ours: their keys win, hooks and allow rules add up. */
export function mergeSettings(ours: Settings, theirs: string): Settings {
  const text = theirs.trim().startsWith('{') ? theirs : readFileSync(theirs, 'utf8');
  const user = JSON.parse(text) as Settings;
  const hooks: Record<string, unknown[]> = {};
  for (const src of [ours.hooks ?? {}, user.hooks ?? {}]) {
    for (const [ev, groups] of Object.entries(src)) hooks[ev] = [...(hooks[ev] ?? []), ...(Array.isArray(groups) ? groups : [])];
  }
  const allow = [...(ours.permissions?.allow ?? []), ...(Array.isArray(user.permissions?.allow) ? user.permissions.allow : [])];
  return { ...ours, ...user, hooks, permissions: { ...ours.permissions, ...user.permissions, allow } };
}

export interface LaunchPlan { command: string; args: string[]; env: NodeJS.ProcessEnv; cleanup: string[]; hooks: 'http' | 'command' | 'none' }

/** Decides what to run; reads files, probes the broker, writes this launch's config files. */
export async function planLaunch(argv: string[], env: NodeJS.ProcessEnv, dir: string, parentPid: number, opts: { probe?: boolean } = {}): Promise<LaunchPlan> {
  const real = findRealClaude(env.PATH ?? env.Path ?? '', [dir]);
  if (!real) {
    throw new Error('claude-peers: the real "claude" was not found on PATH. Install Claude Code (npm install -g @anthropic-ai/claude-code, or see https://docs.claude.com/claude-code), then open a new terminal.');
  }
  const childEnv: NodeJS.ProcessEnv = { ...env };
  delete childEnv.ELECTRON_RUN_AS_NODE; // only the shim runs as Node; other Electron apps must not
  delete childEnv.CLAUDE_PEERS_SHIM_DIR;
  let cfg: ShimConfig | null = null;
  try { cfg = JSON.parse(readFileSync(join(dir, SHIM_CONFIG), 'utf8')) as ShimConfig; } catch { /* no config: pass through */ }
  const runtimeOk = !!cfg && existsSync(cfg.runtime.node) && existsSync(cfg.runtime.cli);
  if (!cfg || !cfg.enabled || !runtimeOk || env.CLAUDE_PEERS_SHIM_ACTIVE === '1' || shouldPassThrough(argv)) {
    return { command: real, args: argv, env: childEnv, cleanup: [], hooks: 'none' };
  }
  const rt = cfg.runtime;
  const conflicts = cfg.conflicts ?? 'warn';
  const locks = cfg.locks ?? 'deny';
  // HTTP hooks only on a broker that proved itself just now; command hooks check on every call.
  const peersCfg = loadConfig({ ...env, ...rt.env });
  let placement: HookPlacement = 'command';
  if (opts.probe !== false) {
    const client = BrokerClient.forSession(peersCfg, null, 1000);
    if ((await client.probe(800)) === 'ours') placement = { port: peersCfg.port, conflicts, locks };
    client.close();
  }
  const sessionDir = join(dir, 'session');
  mkdirSync(sessionDir, { recursive: true, mode: 0o700 });
  const mcpPath = join(sessionDir, 'mcp.json');
  writeIfChanged(mcpPath, JSON.stringify(mcpConfig(rt), null, 2));
  const ours = { ...hooksFor(rt, placement), ...allowOurTools() } as Settings;
  // One file per kind of launch; none holds a secret (the session key is in claude's environment).
  let settingsPath = join(sessionDir, placement === 'command' ? 'settings-command.json' : `settings-http-${peersCfg.port}.json`);
  writeIfChanged(settingsPath, JSON.stringify(ours, null, 2));

  const cleanup: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const inline = a.startsWith('--settings=') ? a.slice('--settings='.length) : null;
    if (a === '--settings' || inline !== null) {
      const value = inline ?? argv[++i];
      if (value === undefined) { rest.push(a); continue; }
      const merged = mergeSettings(ours, value);
      settingsPath = join(tmpdir(), `claude-peers-settings-${randomBytes(6).toString('hex')}.json`);
      writeFileSync(settingsPath, JSON.stringify(merged, null, 2), { mode: 0o600 });
      cleanup.push(settingsPath);
      continue;
    }
    rest.push(a);
  }
  // Variadic flags first, then --settings: the user's first positional (a prompt) can never be
  // swallowed as one more config file.
  const args = ['--mcp-config', mcpPath];
  if (cfg.channels) args.push('--dangerously-load-development-channels', `server:${SERVER_NAME}`);
  args.push('--settings', settingsPath, ...rest);
  Object.assign(childEnv, rt.env ?? {}, {
    CLAUDE_PEERS_SHIM_ACTIVE: '1',
    CLAUDE_PEERS_CHANNELS: cfg.channels ? '1' : '0',
    CLAUDE_PEERS_CONFLICT_POLICY: conflicts,
    CLAUDE_PEERS_LOCK_POLICY: locks,
    [SESSION_KEY_ENV]: newSessionKey(),
    // The terminal's shell is our parent (the shim script execs us): the extension maps it to a Terminal.
    CLAUDE_PEERS_TERMINAL_ID: `shell-pid:${parentPid}`,
  });
  return { command: real, args, env: childEnv, cleanup, hooks: placement === 'command' ? 'command' : 'http' };
}

function writeIfChanged(path: string, text: string): void {
  try { if (readFileSync(path, 'utf8') === text) return; } catch { /* absent */ }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  // rename is atomic: a second terminal starting claude at the same moment reads a whole file.
  renameSync(tmp, path);
}

/** Runs the plan: claude in the foreground with our stdio; resolves with its exit code. */
export function runPlan(plan: LaunchPlan): Promise<number> {
  const win = process.platform === 'win32' ? windowsCommand(plan.command, plan.args) : null;
  const child = win
    ? spawn(win.command, win.args, { stdio: 'inherit', env: plan.env, windowsVerbatimArguments: win.verbatim })
    : spawn(plan.command, plan.args, { stdio: 'inherit', env: plan.env });
  // Ctrl-C reaches claude through the terminal's process group; the launcher must just outlive it.
  process.on('SIGINT', () => {});
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  return new Promise<number>((done) => {
    const finish = (code: number) => {
      for (const f of plan.cleanup) rmSync(f, { force: true });
      done(code);
    };
    child.on('error', (e) => {
      console.error(`claude-peers: could not start ${plan.command}: ${e.message}`);
      finish(127);
    });
    child.on('exit', (code, signal) => finish(code ?? (signal ? 128 + (({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 } as Record<string, number>)[signal] ?? 1) : 1)));
  });
}

/** `claude-peers claude-shim`: the shim script execs us with CLAUDE_PEERS_SHIM_DIR set. */
export async function runClaudeShim(argv: string[]): Promise<number> {
  const shimDir = process.env.CLAUDE_PEERS_SHIM_DIR;
  if (!shimDir) {
    console.error('claude-peers claude-shim: CLAUDE_PEERS_SHIM_DIR is not set. This command is started by the "claude" shim the VS Code extension installs; run "claude" instead.');
    return 2;
  }
  return launch(argv, shimDir);
}

/** Plans and runs a launch from `dir` (a shim folder); a missing claude is exit 127 with advice. */
export async function launch(argv: string[], dir: string): Promise<number> {
  let plan: LaunchPlan;
  try {
    plan = await planLaunch(argv, process.env, dir, process.ppid);
  } catch (e) {
    console.error((e as Error).message);
    return 127;
  }
  return runPlan(plan);
}

/** The inside of a batch-file string literal: quotes kept out, `%` doubled (cmd expands it even inside quotes). */
const batEscape = (s: string) => s.replace(/"/g, '').replace(/%/g, '%%');
const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/**
 * A path in a batch file in `scriptDir`. cmd.exe decodes a batch file in the console's code page,
 * so letters outside ASCII (C:\Users\Zoë\…) would be misread: the path is written relative to
 * the script's own folder (`%~dp0`, which cmd derives itself, in Unicode) when that leaves only
 * ASCII, as it does when the user name is the only such part.
 */
function batPath(target: string, scriptDir: string): { text: string; ascii: boolean } {
  const rel = win32.relative(scriptDir, target);
  if (rel && !win32.isAbsolute(rel) && isAscii(rel)) return { text: `"%~dp0${batEscape(rel)}"`, ascii: true };
  return { text: `"${batEscape(target)}"`, ascii: isAscii(target) };
}

/**
 * The Windows `claude.cmd` shim and `claude-peers.cmd` for the folder `dir`. Each is a batch file
 * with CRLF line ends, `setlocal` (nothing it sets stays in the user's cmd session), no block
 * around the run (a block would expand %ERRORLEVEL% before node ran) and, only when a path cannot
 * be written in ASCII, the console switched to UTF-8 for the run and switched back after it.
 */
export function windowsShimScripts(dir: string, node: string, cli: string): { claude: string; claudePeers: string } {
  const n = batPath(node, dir);
  const c = batPath(cli, dir);
  const utf8 = !(n.ascii && c.ascii);
  const enter = utf8 ? ['for /f "tokens=2 delims=:." %%p in (\'chcp\') do set "CLAUDE_PEERS_CP=%%p"', 'chcp 65001 >nul'] : [];
  const leave = utf8 ? ['set "CLAUDE_PEERS_RC=%ERRORLEVEL%"', 'chcp %CLAUDE_PEERS_CP% >nul', 'exit /b %CLAUDE_PEERS_RC%'] : ['exit /b %ERRORLEVEL%'];
  /** `cli.js <args>` on the extension's runtime, or `gone` on stderr and 127 when that runtime is gone. */
  const script = (about: string[], prelude: string[], args: string, gone: string) => `${[
    '@echo off',
    ...about,
    'setlocal',
    ...enter,
    ...prelude,
    `if not exist ${n.text} goto gone`,
    `if not exist ${c.text} goto gone`,
    'set "ELECTRON_RUN_AS_NODE=1"',
    `${n.text} ${c.text} ${args}`,
    ...leave,
    ':gone',
    ...(utf8 ? ['chcp %CLAUDE_PEERS_CP% >nul'] : []),
    `echo ${gone} 1>&2`,
    'exit /b 127',
  ].join('\r\n')}\r\n`;
  return {
    claude: script(
      ['rem Written by the Claude Peers VS Code extension: starts the real claude with the peer network',
        'rem attached. Switch it off with the setting "claudePeers.terminals.joinPeerNetwork".'],
      ['set "CLAUDE_PEERS_SHIM_DIR=%~dp0."'], 'claude-shim %*',
      'claude-peers: the VS Code extension that installed this shim is gone or was updated; open a new terminal, or remove %~dp0 from PATH.'),
    claudePeers: script(['rem Written by the Claude Peers VS Code extension: the claude-peers command line.'], [], '%*',
      'claude-peers: the VS Code extension that installed this command is gone or was updated; open a new terminal.'),
  };
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Writes the `claude` shim and a `claude-peers` command (POSIX sh and Windows .cmd) and shim.json
 * into `dir`. When the runtime they point at is gone (VS Code updated, extension removed), `claude`
 * still finds and runs the real claude, so a stale terminal never breaks it.
 */
export function installShim(dir: string, cfg: ShimConfig): void {
  mkdirSync(dir, { recursive: true });
  const { node, cli } = cfg.runtime;
  const sh = `#!/bin/sh
# Written by the Claude Peers VS Code extension: starts the real claude with the peer network
# attached. Switch it off with the setting "claudePeers.terminals.joinPeerNetwork".
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
node=${sq(node)}
cli=${sq(cli)}
if [ -x "$node" ] && [ -f "$cli" ]; then
  CLAUDE_PEERS_SHIM_DIR="$dir" ELECTRON_RUN_AS_NODE=1 exec "$node" "$cli" claude-shim "$@"
fi
# The extension's runtime is gone: run the next claude on PATH unchanged.
PATH=$(printf %s "$PATH" | tr ':' '\\n' | grep -vxF "$dir" | paste -sd: -)
exec claude "$@"
`;
  const peersSh = `#!/bin/sh
# Written by the Claude Peers VS Code extension: the claude-peers command line, on the runtime of
# the extension that wrote it.
node=${sq(node)}
cli=${sq(cli)}
if [ -x "$node" ] && [ -f "$cli" ]; then ELECTRON_RUN_AS_NODE=1 exec "$node" "$cli" "$@"; fi
echo "claude-peers: the VS Code extension that installed this command is gone or was updated; open a new terminal." >&2
exit 127
`;
  const win = windowsShimScripts(dir, node, cli);
  writeIfChanged(join(dir, 'claude'), sh);
  chmodSync(join(dir, 'claude'), 0o755);
  writeIfChanged(join(dir, 'claude-peers'), peersSh);
  chmodSync(join(dir, 'claude-peers'), 0o755);
  writeIfChanged(join(dir, 'claude.cmd'), win.claude);
  writeIfChanged(join(dir, 'claude-peers.cmd'), win.claudePeers);
  writeIfChanged(join(dir, SHIM_CONFIG), JSON.stringify(cfg, null, 2));
}
