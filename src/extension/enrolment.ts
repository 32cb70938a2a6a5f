// Puts every `claude` started in this window's integrated terminals on the peer network: a small
// `claude` shim in the extension's global storage goes first on the terminals' PATH. The terminal
// env holds only that stable folder; the shim reads the current runtime and switches from
// shim.json, which is rewritten when settings change, so open terminals never go stale.
import * as vscode from 'vscode';
import { join, delimiter } from 'node:path';
import { installShim, type ShimConfig } from '../client/claude-launch.ts';
import type { Runtime } from '../common/launch-config.ts';
import { DEFAULT_PORT } from '../common/config.ts';
import type { Settings } from './settings.ts';

export class Enrolment implements vscode.Disposable {
  readonly binDir: string;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {
    this.binDir = join(context.globalStorageUri.fsPath, 'bin');
  }

  /** The runtime sessions use: VS Code's own binary as Node, and the CLI bundled with us. */
  runtime(s: Settings): Runtime {
    const env: Record<string, string> = {};
    if (s.port !== DEFAULT_PORT) env.CLAUDE_PEERS_PORT = String(s.port);
    if (process.env.CLAUDE_PEERS_HOME) env.CLAUDE_PEERS_HOME = process.env.CLAUDE_PEERS_HOME;
    return {
      node: process.execPath,
      cli: join(this.context.extensionPath, 'dist', 'cli.js'),
      hook: join(this.context.extensionPath, 'dist', 'hook.js'),
      electron: !!process.versions.electron,
      env,
    };
  }

  apply(s: Settings): void {
    const cfg: ShimConfig = { enabled: s.enrol, channels: s.channels, runtime: this.runtime(s), conflicts: s.conflictPolicy };
    try {
      installShim(this.binDir, cfg);
    } catch (e) {
      this.log.error(`Could not write the claude shim into ${this.binDir}: ${(e as Error).message}. Sessions in VS Code terminals will not join the peer network; use "Claude Peers: Copy setup for other terminals" instead.`);
      return;
    }
    const env = this.context.environmentVariableCollection;
    if (s.enrol) {
      env.persistent = true;
      env.description = new vscode.MarkdownString('Claude Peers: `claude` in this terminal joins the peer network (a shim first on PATH adds the MCP server and hooks; turn it off with the setting **Claude Peers › Terminals: Join Peer Network**).');
      // Once when the terminal's process starts (shells without shell integration, and any other
      // process), and again after the shell's startup files where shell integration runs (bash,
      // zsh, fish, pwsh): an rc file that puts ~/.local/bin first would otherwise win.
      env.prepend('PATH', this.binDir + delimiter, { applyAtProcessCreation: true, applyAtShellIntegration: true });
      this.log.info(`Joining the peer network is on: terminals get ${this.binDir} first on PATH (channels ${s.channels ? 'on' : 'off'}).`);
    } else {
      env.clear();
      this.log.info('Joining the peer network is off: claude in new terminals runs unchanged; open terminals pass straight through.');
    }
  }

  dispose(): void { /* the collection is owned by VS Code and persists by design */ }
}
