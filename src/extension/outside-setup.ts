// Sessions outside this window's terminals: "Copy Setup" and the files that keep that setup
// working across updates. The extension rewrites $CLAUDE_PEERS_HOME/runtime.env at every start
// (which Node and bundles the plugin's launcher runs), and the plugin's stable folder when the
// user has one; the command shows what it will copy and write before doing it, in a dialog that
// stays until it is answered.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { VERSION, type PeersConfig } from '../common/config.ts';
import { writeRuntimeFile, type Runtime } from '../common/launch-config.ts';
import { outsideSetup, stablePluginDir, writeStablePlugin } from '../common/setup-guide.ts';

/** Called at activation and when settings change: the launcher follows this extension version. */
export function refreshOutsideSetup(cfg: PeersConfig, rt: Runtime, log: vscode.LogOutputChannel): void {
  try {
    writeRuntimeFile(cfg, rt);
    if (existsSync(stablePluginDir(cfg))) writeStablePlugin(cfg, VERSION);
  } catch (e) {
    log.warn(`Could not update ${cfg.home} for sessions outside VS Code: ${(e as Error).message}. The plugin then runs claude-peers from PATH, if there is one.`);
  }
}

const COPY = 'Copy Commands';
const GUIDE = 'Open Full Guide';

export async function copySetup(cfg: PeersConfig, rt: Runtime, log: vscode.LogOutputChannel): Promise<void> {
  const dir = stablePluginDir(cfg);
  const setup = outsideSetup(rt, dir);
  const pick = await vscode.window.showInformationMessage(
    'Put claude sessions outside VS Code on the peer network?',
    {
      modal: true,
      detail: `Copies these two commands, to run once in any terminal (they install the Claude Peers plugin for every project of your user):\n\n${setup.pluginCommands}\n\n` +
        `Copying also writes the plugin into ${dir}, a folder that stays current with the extension, so the setup survives updates. Nothing else is written.\n\n` +
        `In Claude Code's default permission mode, add "${setup.pluginAllowRule}" to "permissions.allow" in ~/.claude/settings.json so its tools run without a prompt.`,
    },
    COPY, GUIDE,
  );
  if (!pick) return;
  if (pick === GUIDE) {
    const doc = await vscode.workspace.openTextDocument({ language: 'shellscript', content: setup.guide });
    await vscode.window.showTextDocument(doc);
    return;
  }
  try {
    writeStablePlugin(cfg, VERSION);
    writeRuntimeFile(cfg, rt);
  } catch (e) {
    void vscode.window.showErrorMessage(`Claude Peers: could not write the plugin into ${dir}: ${(e as Error).message}. Check that you own ${cfg.home} and that the disk has room, then try again.`);
    return;
  }
  await vscode.env.clipboard.writeText(`${setup.pluginCommands}\n`);
  log.info(`Copy Setup: wrote the plugin into ${dir} and copied its two install commands.`);
  const after = await vscode.window.showInformationMessage(`Claude Peers: copied "claude plugin marketplace add …" and "claude plugin install ${setup.pluginCommands.split(' ').pop()}". Paste them into a terminal outside VS Code.`, GUIDE);
  if (after === GUIDE) {
    const doc = await vscode.workspace.openTextDocument({ language: 'shellscript', content: setup.guide });
    await vscode.window.showTextDocument(doc);
  }
}
