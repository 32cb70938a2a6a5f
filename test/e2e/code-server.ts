// A real VS Code: code-server on a free loopback port with isolated user-data, extensions and XDG
// dirs, optionally with a VSIX installed or an extension loaded from source (development mode).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { killGroup, openThings, trackGroup } from './cleanup.ts';
import { codeServerMissingReason } from './tools.ts';
import { toolset, type Toolset } from './toolsets.ts';
import { freePort, waitUntil } from './waits.ts';

export interface CodeServerOptions {
  /** Which VS Code to run (toolsets.ts): the newest by default, 'min' for VS Code 1.103 on Node 22.15. */
  toolset?: Toolset;
  /** The folder the workbench opens. */
  folder: string;
  /** A .vsix to install (`--install-extension`) into the isolated extensions dir before starting. */
  vsixPath?: string;
  /**
   * An unpacked extension (folder with package.json) to load in development mode, from source,
   * without packaging it. Works through the workbench URL's `payload`, which code-server only
   * honours with `--vscode-option enable-smoke-test-driver` (the harness adds both).
   */
  extensionDevelopmentPath?: string;
  /**
   * An extension test runner (a module exporting `run(): Promise<void>`, as @vscode/test-electron
   * runs), run in the extension host once a browser opens `url`. Needs extensionDevelopmentPath.
   * See runExtensionTests().
   */
  extensionTestsPath?: string;
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server (and so for the extension host and terminals). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for code-server to answer; default 60 s. */
  startTimeoutMs?: number;
  /** Extra code-server command-line arguments. */
  args?: string[];
}

export interface CodeServer {
  /** The workbench URL, with the folder open. */
  url: string;
  port: number;
  /** Temp dir holding everything below; removed by stop(). */
  root: string;
  userDataDir: string;
  extensionsDir: string;
  proc: ChildProcess;
  /** Everything code-server printed so far (stdout + stderr). */
  logs(): string;
  /** Kills code-server and its children, removes the temp dirs (set E2E_KEEP=1 to keep them). */
  stop(): Promise<void>;
}

/** User settings every e2e workbench starts with. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  // The DOM renderer keeps terminal text readable from the page (.xterm-rows).
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.defaultProfile.linux': 'bash',
  'terminal.integrated.enablePersistentSessions': false,
  'terminal.integrated.showExitAlert': false,
  'window.restoreWindows': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'files.hotExit': 'off',
  'editor.minimap.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
};

function codeServerEnv(root: string, extra: NodeJS.ProcessEnv | undefined, nodeBin: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Not ours to pass on: a test runner's or an outer VS Code's variables.
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') delete env[k];
  }
  return {
    ...env,
    // code-server keeps state (config.yaml, heartbeat, last-opened) under these: keep it in the temp dir.
    XDG_CONFIG_HOME: join(root, 'xdg-config'),
    XDG_DATA_HOME: join(root, 'xdg-data'),
    XDG_CACHE_HOME: join(root, 'xdg-cache'),
    // No extension gallery: code-server would query open-vsx.org (no network here, and tests
    // talk to loopback only). An empty gallery config disables the gallery service.
    EXTENSIONS_GALLERY: '{}',
    PATH: `${nodeBin}:${env.PATH ?? '/usr/bin:/bin'}`,
    ...extra,
  };
}

/** Starts code-server on a free loopback port with isolated user-data and extensions dirs. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const tools = toolset(opts.toolset);
  const why = codeServerMissingReason(tools.name);
  if (why) throw new Error(process.env.CI === 'true' ? `${why} — CI=true, so a missing e2e tool is a failure, not a skip` : why);
  const root = mkdtempSync(join(tmpdir(), 'cp-e2e-cs-'));
  const userDataDir = join(root, 'user-data');
  const extensionsDir = join(root, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2));
  const configFile = join(root, 'config.yaml');
  writeFileSync(configFile, 'auth: none\n');
  const env = codeServerEnv(root, opts.env, tools.nodeBin);
  const dirArgs = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  if (opts.vsixPath) {
    const r = spawnSync(tools.node, [tools.entry, ...dirArgs, '--install-extension', resolve(opts.vsixPath), '--force'], {
      env, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.status !== 0) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`installing ${opts.vsixPath} failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
    }
  }

  const port = await freePort();
  const devMode = !!(opts.extensionDevelopmentPath || opts.extensionTestsPath);
  const args = [
    ...(devMode ? tools.smokeDriver.nodeArgs : []), tools.entry, ...dirArgs,
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
  ];
  // code-server refuses VS Code's own --extensionDevelopmentPath/--extensionTestsPath ("Unknown
  // option"); passing them through --vscode-option only makes the *server* scan the folder, the
  // browser still decides what its extension host loads and tests. That comes from the URL's
  // `payload`, which a built workbench ignores unless the smoke-test driver is enabled.
  if (devMode) args.push(...tools.smokeDriver.args);
  args.push(...(opts.args ?? []), resolve(opts.folder));

  let out = '';
  const proc = spawn(tools.node, args, { env, cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackGroup(proc.pid!);
  // Never let code-server keep the test process alive (a timed-out test leaves no one to stop
  // it): the exit hook above kills its whole process group when the test process ends.
  proc.unref();
  (proc.stdout as unknown as { unref?: () => void }).unref?.();
  (proc.stderr as unknown as { unref?: () => void }).unref?.();
  const append = (c: Buffer) => { out += c.toString(); if (out.length > 2_000_000) out = out.slice(-1_000_000); if (process.env.E2E_DEBUG) process.stderr.write(`[code-server] ${c}`); };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    openThings.delete(stop);
    await killGroup(proc);
    if (process.env.E2E_KEEP) return;
    // Processes outside code-server's group (the shells of its terminals run in sessions of their
    // own) may still write into the folder for a moment: retry, and a leftover temp dir is a
    // warning, not a failed test.
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (e) {
      process.stderr.write(`warning: could not remove ${root}: ${(e as Error).message}\n`);
    }
  };
  openThings.add(stop);

  try {
    await waitUntil(async () => {
      if (proc.exitCode !== null || proc.signalCode) throw new Error(`code-server exited (${proc.exitCode ?? proc.signalCode})`);
      const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      return r.ok;
    }, opts.startTimeoutMs ?? 60_000, 'code-server to answer', 200);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- code-server output ---\n${out}`, { cause: e });
  }
  let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(resolve(opts.folder))}`;
  if (devMode) {
    // Server-side paths as vscode-remote URIs whose authority is the host the browser connects to.
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${resolve(p)}`;
    const payload: [string, string][] = [];
    if (opts.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(opts.extensionDevelopmentPath)]);
    if (opts.extensionTestsPath) payload.push(['extensionTestsPath', remote(opts.extensionTestsPath)]);
    url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }
  return { url, port, root, userDataDir, extensionsDir, proc, logs: () => out, stop };
}
