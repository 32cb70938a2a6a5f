// `claude-peers claude-shim`: what runs when someone types `claude` in a VS Code terminal that the
// extension enrolled. It finds the real `claude` further down PATH and starts it with our MCP server
// and hooks added once, nothing else changed: the user's arguments pass through untouched (their
// own --settings is merged, not replaced), and management commands (`claude mcp`, `--version`…)
// run as they are. The extension writes shim.json beside the shim script; the terminal env only
// holds that folder on PATH, so nothing in it goes stale when VS Code reloads.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { hooksFor, mcpConfig, SERVER_NAME, type Runtime } from '../common/launch-config.ts';

export const SHIM_CONFIG = 'shim.json';

export interface ShimConfig {
  /** Off: every `claude` passes straight through (enrolment switched off in VS Code). */
  enabled: boolean;
  /** Adds --dangerously-load-development-channels server:claude-peers (opt-in: a dialog at every start). */
  channels: boolean;
  runtime: Runtime;
}

/** Subcommands and flags for which a session is not started: never add our flags to them. */
const PASS_THROUGH_COMMANDS = new Set(['mcp', 'config', 'doctor', 'update', 'upgrade', 'install', 'migrate-installer', 'setup-token', 'plugin', 'plugins', 'auth', 'login', 'logout']);
const PASS_THROUGH_FLAGS = new Set(['-v', '--version', '-h', '--help']);

export function shouldPassThrough(args: string[]): boolean {
  if (args.some((a) => PASS_THROUGH_FLAGS.has(a))) return true;
  // A management command only counts as the first argument: `claude -p mcp` is a session.
  return PASS_THROUGH_COMMANDS.has(args[0] ?? '');
}

/** The first `claude` on PATH that is not a claude-peers shim. */
export function findRealClaude(pathVar: string, skipDirs: string[], platform = process.platform, exts = (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')): string | null {
  const skip = new Set(skipDirs.map((d) => resolve(d)));
  const names = platform === 'win32' ? exts.map((e) => `claude${e.toLowerCase()}`).concat('claude') : ['claude'];
  for (const dir of pathVar.split(platform === 'win32' ? ';' : delimiter)) {
    if (!dir || skip.has(resolve(dir))) continue;
    if (existsSync(join(dir, SHIM_CONFIG))) continue; // another window's shim folder
    for (const n of names) {
      const p = join(dir, n);
      try {
        if (!statSync(p).isFile()) continue;
        if (platform !== 'win32') accessSync(p, constants.X_OK);
        return p;
      } catch { /* not here */ }
    }
  }
  return null;
}

type Settings = { hooks?: Record<string, unknown[]>; [k: string]: unknown };

/** Merges the user's own settings (JSON text or a file path) with ours: their keys win, hooks add up. */
export function mergeSettings(ours: Settings, theirs: string): Settings {
  const text = theirs.trim().startsWith('{') ? theirs : readFileSync(theirs, 'utf8');
  const user = JSON.parse(text) as Settings;
  const hooks: Record<string, unknown[]> = {};
  for (const src of [ours.hooks ?? {}, user.hooks ?? {}]) {
    for (const [ev, groups] of Object.entries(src)) hooks[ev] = [...(hooks[ev] ?? []), ...(Array.isArray(groups) ? groups : [])];
  }
  return { ...ours, ...user, hooks };
}

export interface ShimPlan { command: string; args: string[]; env: NodeJS.ProcessEnv; cleanup: string[] }

/** Decides what to run; pure apart from reading files and writing the session's config files. */
export function planLaunch(argv: string[], env: NodeJS.ProcessEnv, shimDir: string, parentPid: number): ShimPlan {
  const real = findRealClaude(env.PATH ?? env.Path ?? '', [shimDir]);
  if (!real) {
    throw new Error('claude-peers: the real "claude" was not found on PATH. Install Claude Code (npm install -g @anthropic-ai/claude-code, or see https://docs.claude.com/claude-code), then open a new terminal.');
  }
  const childEnv: NodeJS.ProcessEnv = { ...env };
  delete childEnv.ELECTRON_RUN_AS_NODE; // only the shim runs as Node; other Electron apps must not
  delete childEnv.CLAUDE_PEERS_SHIM_DIR;
  let cfg: ShimConfig | null = null;
  try { cfg = JSON.parse(readFileSync(join(shimDir, SHIM_CONFIG), 'utf8')) as ShimConfig; } catch { /* no config: pass through */ }
  const runtimeOk = !!cfg && existsSync(cfg.runtime.node) && existsSync(cfg.runtime.cli);
  if (!cfg || !cfg.enabled || !runtimeOk || env.CLAUDE_PEERS_SHIM_ACTIVE === '1' || shouldPassThrough(argv)) {
    return { command: real, args: argv, env: childEnv, cleanup: [] };
  }
  const rt = cfg.runtime;
  const cleanup: string[] = [];
  const sessionDir = join(shimDir, 'session');
  mkdirSync(sessionDir, { recursive: true });
  const mcpPath = join(sessionDir, 'mcp.json');
  writeIfChanged(mcpPath, JSON.stringify(mcpConfig(rt), null, 2));
  let settingsPath = join(sessionDir, 'settings.json');
  const ours = hooksFor(rt) as Settings;
  writeIfChanged(settingsPath, JSON.stringify(ours, null, 2));

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
    // The terminal's shell is our parent (the shim script execs us): the extension maps it to a Terminal.
    CLAUDE_PEERS_TERMINAL_ID: `shell-pid:${parentPid}`,
  });
  return { command: real, args, env: childEnv, cleanup };
}

function writeIfChanged(path: string, text: string): void {
  try { if (readFileSync(path, 'utf8') === text) return; } catch { /* absent */ }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  // rename is atomic: a second terminal starting claude at the same moment reads a whole file.
  renameSync(tmp, path);
}

function quoteWin(a: string): string {
  return /^[\w\-./:=@\\]+$/.test(a) ? a : `"${a.replace(/"/g, '""')}"`;
}

export async function runClaudeShim(argv: string[]): Promise<number> {
  const shimDir = process.env.CLAUDE_PEERS_SHIM_DIR;
  if (!shimDir) {
    console.error('claude-peers claude-shim: CLAUDE_PEERS_SHIM_DIR is not set. This command is started by the "claude" shim the VS Code extension installs; run "claude" instead.');
    return 2;
  }
  let plan: ShimPlan;
  try {
    plan = planLaunch(argv, process.env, shimDir, process.ppid);
  } catch (e) {
    console.error((e as Error).message);
    return 127;
  }
  const win = process.platform === 'win32' && /\.(cmd|bat)$/i.test(plan.command);
  const child = win
    ? spawn([plan.command, ...plan.args].map(quoteWin).join(' '), { stdio: 'inherit', env: plan.env, shell: true })
    : spawn(plan.command, plan.args, { stdio: 'inherit', env: plan.env });
  // Ctrl-C reaches claude through the terminal's process group; the shim must just outlive it.
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

/**
 * Writes the `claude` shim scripts (POSIX sh and Windows .cmd) and shim.json into `dir`. When the
 * runtime it points at is gone (VS Code updated, extension removed), the script still finds and
 * runs the real claude, so a stale terminal never breaks `claude`.
 */
export function installShim(dir: string, cfg: ShimConfig): void {
  mkdirSync(dir, { recursive: true });
  const { node, cli } = cfg.runtime;
  const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const sh = `#!/bin/sh
# Written by the Claude Peers VS Code extension: starts the real claude with the peer network
# attached. Switch it off with the setting "claudePeers.enrol.enabled".
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
  const cmd = `@echo off\r
rem Written by the Claude Peers VS Code extension (see the setting claudePeers.enrol.enabled).\r
set "CLAUDE_PEERS_SHIM_DIR=%~dp0."\r
if exist "${node}" if exist "${cli}" (\r
  set ELECTRON_RUN_AS_NODE=1\r
  "${node}" "${cli}" claude-shim %*\r
  exit /b %ERRORLEVEL%\r
)\r
echo claude-peers: the extension that installed this shim is gone; remove %~dp0 from PATH. 1>&2\r
exit /b 127\r
`;
  writeIfChanged(join(dir, 'claude'), sh);
  chmodSync(join(dir, 'claude'), 0o755);
  writeIfChanged(join(dir, 'claude.cmd'), cmd);
  writeIfChanged(join(dir, SHIM_CONFIG), JSON.stringify(cfg, null, 2));
}
