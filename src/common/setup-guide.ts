// What a user runs to put claude sessions outside VS Code's enrolled terminals on the network, for
// `claude-peers setup-claude` and the extension's "Copy Setup": the plugin (one step, MCP server
// and hooks), `claude-peers claude`, or the plain `claude mcp add-json` line plus hooks.
//
// Paths that survive updates: the plugin's marketplace folder can be a copy in CLAUDE_PEERS_HOME
// (the extension's own folder carries its version), and its launcher reads runtime.env, which
// the extension and the CLI rewrite, to find the current Node and bundles.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PLUGIN_TOOL_PREFIX, SERVER_NAME } from '../protocol/framing.ts';
import type { PeersConfig } from './config.ts';
import { hookSettings, shellQuote } from './hook-config.ts';
import { allowOurTools, hooksFor, mcpAddLine, mcpConfig, type Runtime } from './launch-config.ts';
import { PLUGIN_DIR, PLUGIN_ID, pluginFiles } from './plugin-files.ts';
import { ensurePrivateDir } from './private-files.ts';

/** `$CLAUDE_PEERS_HOME/claude-code-plugin`: the marketplace folder whose path never changes. */
export function stablePluginDir(cfg: PeersConfig): string {
  return join(cfg.home, PLUGIN_DIR);
}

/** The plugin's launcher inside a marketplace folder (a POSIX shell script). */
export function launcherIn(pluginDir: string): string {
  return join(pluginDir, SERVER_NAME, 'bin', SERVER_NAME);
}

/**
 * Writes the plugin of this version into the stable folder, replacing what an older version
 * wrote there. Only our own home is written; Claude Code copies the plugin into its cache when
 * the user installs it, and reads the folder again on `claude plugin update`.
 */
export function writeStablePlugin(cfg: PeersConfig, version: string): string {
  ensurePrivateDir(cfg.home);
  const root = stablePluginDir(cfg);
  rmSync(root, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(pluginFiles(version))) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
    writeFileSync(p, text, { mode: rel.includes('/bin/') ? 0o700 : 0o600 });
    if (rel.includes('/bin/')) chmodSync(p, 0o700);
  }
  return root;
}

export interface OutsideSetup {
  /** The two commands that install the plugin for every project of the user (what Copy Setup copies). */
  pluginCommands: string;
  /** The allow rule for the plugin's tools (Claude Code's default mode asks before each otherwise). */
  pluginAllowRule: string;
  /** Every way, explained, for `setup-claude` and the extension's full guide. */
  guide: string;
  /** `{mcpConfig, settings}` for scripts: the JSON for --mcp-config and for --settings. */
  json: { mcpConfig: ReturnType<typeof mcpConfig>; settings: Record<string, unknown> };
}

/**
 * The setup for sessions outside VS Code. `pluginDir` is the marketplace folder to name; when it
 * holds a launcher (POSIX) the plain MCP line and hooks go through it too, so they survive
 * updates; on Windows they name this runtime's Node and bundles and must be set up again after one.
 */
export function outsideSetup(rt: Runtime, pluginDir: string, platform: NodeJS.Platform = process.platform): OutsideSetup {
  const q = shellQuote;
  const pluginCommands = `claude plugin marketplace add ${q(pluginDir)}\nclaude plugin install ${PLUGIN_ID}`;
  const pluginAllowRule = allowOurTools(PLUGIN_TOOL_PREFIX).permissions.allow[0]!;
  const viaLauncher = platform !== 'win32';
  const launcher = launcherIn(pluginDir);
  const plainAdd = viaLauncher
    ? `claude mcp add-json -s user ${SERVER_NAME} ${q(JSON.stringify({ type: 'stdio', command: launcher, args: ['mcp'] }))}`
    : mcpAddLine(rt);
  const plainHooks = viaLauncher ? hookSettings({ kind: 'command', command: (event) => `${q(launcher)} hook ${event}` }) : hooksFor(rt);
  const plainSettings = { ...plainHooks, ...allowOurTools() };
  const guide = `# Claude Peers for claude sessions outside VS Code's terminals: review, then run what you choose.

# 1. The plugin: our MCP server and hooks in one step, for every project.
${pluginCommands}
#    and let its tools run without a prompt (they message peers; none touches files or runs commands):
#    add ${JSON.stringify(pluginAllowRule)} to "permissions.allow" in ~/.claude/settings.json.

# 2. Or start sessions with claude-peers instead of claude: the fastest hooks (HTTP: about 20 ms per tool call, against about 130 ms for 1 and 3).
#    claude-peers claude [your usual claude arguments]

# 3. Or without plugins: the MCP server for every project (user scope),
${plainAdd}
#    and these hooks and allow rule, merged into ~/.claude/settings.json (or saved to a file for claude --settings <file>):
${JSON.stringify(plainSettings, null, 2)}
${viaLauncher
    ? `#    (They run ${launcher}, which follows updates of the extension and of claude-peers.)`
    : '#    (They name this version\'s files: set them up again after an update of the extension or of claude-peers.)'}

# Real-time push (research preview; Claude Code asks to confirm at every start):
#    claude --dangerously-load-development-channels server:${SERVER_NAME}
# "claude-peers setup-claude --json" prints {"mcpConfig", "settings"} for scripts.
`;
  return { pluginCommands, pluginAllowRule, guide, json: { mcpConfig: mcpConfig(rt), settings: { ...hooksFor(rt), ...allowOurTools() } } };
}
