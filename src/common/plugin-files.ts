// The Claude Code plugin for sessions outside VS Code's enrolled terminals: a marketplace folder
// (`claude-code-plugin/`, shipped in the VSIX and the npm package) holding the plugin `claude-peers`:
// our MCP server and command hooks, started through `bin/claude-peers`, a launcher that reads
// `$CLAUDE_PEERS_HOME/runtime.env` (written by the extension and the CLI) to find the Node and
// bundles to run. Claude Code copies a plugin into its own cache on install; the launcher makes
// that copy keep working across updates of the extension or the package.
//
// The files are generated from this one definition (scripts/write-plugin.ts) and a unit test
// checks that the committed folder matches it.
import { PLUGIN_TOOL_PREFIX, SERVER_NAME } from '../protocol/framing.ts';
import { hookSettings } from './hook-config.ts';

export const PLUGIN_DIR = 'claude-code-plugin';
export const MARKETPLACE = SERVER_NAME;
export const PLUGIN_ID = `${SERVER_NAME}@${MARKETPLACE}`;

const DESCRIPTION = 'Claude Peers: the Claude Code sessions on this machine find each other, message each other, see each other\'s files and avoid conflicting edits.';
const launcher = '"${CLAUDE_PLUGIN_ROOT}/bin/claude-peers"';

const LAUNCHER_SH = `#!/bin/sh
# The plugin's way to claude-peers: runs the Node and bundles named in
# $CLAUDE_PEERS_HOME/runtime.env (written by the VS Code extension at every start, and by
# "claude-peers setup-claude"), so an installed copy of this plugin survives updates.
home="\${CLAUDE_PEERS_HOME:-$HOME/.claude-peers}"
rt="$home/runtime.env"
node= cli= hook= electron=0
# Only a file of this user's, in a folder of this user's: never run what someone else planted.
if [ -f "$rt" ] && [ -O "$rt" ] && [ -O "$home" ]; then
  while IFS= read -r line; do
    case "$line" in
      node=*) node=\${line#node=} ;;
      cli=*) cli=\${line#cli=} ;;
      hook=*) hook=\${line#hook=} ;;
      electron=*) electron=\${line#electron=} ;;
      env\\ CLAUDE_PEERS_*=*) kv=\${line#env }; export "\${kv%%=*}=\${kv#*=}" ;;
    esac
  done < "$rt"
fi
if [ -z "$node" ] || [ ! -x "$node" ] || [ ! -f "$cli" ]; then
  if command -v claude-peers >/dev/null 2>&1; then exec claude-peers "$@"; fi
  # A hook must never fail the session: say why once, on stderr, and let it go on.
  echo "claude-peers: no runtime found ($rt is missing or stale): open VS Code with the Claude Peers extension, or run \\"claude-peers setup-claude\\"." >&2
  [ "$1" = hook ] && exit 0
  exit 1
fi
[ "$electron" = 1 ] && export ELECTRON_RUN_AS_NODE=1
if [ "$1" = hook ] && [ -f "$hook" ]; then shift; exec "$node" "$hook" "$@"; fi
exec "$node" "$cli" "$@"
`;

/** Every file of the marketplace folder, by path relative to it. */
export function pluginFiles(version: string): Record<string, string> {
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  // The plugin's MCP server and hooks know how Claude Code names its tools (it prefixes them).
  const command = (event: string) => `CLAUDE_PEERS_TOOL_PREFIX=${PLUGIN_TOOL_PREFIX} ${launcher} hook ${event}`;
  return {
    '.claude-plugin/marketplace.json': json({
      name: MARKETPLACE,
      owner: { name: 'Claude Peers' },
      plugins: [{ name: SERVER_NAME, source: `./${SERVER_NAME}`, description: DESCRIPTION }],
    }),
    [`${SERVER_NAME}/.claude-plugin/plugin.json`]: json({ name: SERVER_NAME, version, description: DESCRIPTION, license: 'MIT' }),
    [`${SERVER_NAME}/.mcp.json`]: json({
      mcpServers: { [SERVER_NAME]: { command: '${CLAUDE_PLUGIN_ROOT}/bin/claude-peers', args: ['mcp'], env: { CLAUDE_PEERS_TOOL_PREFIX: PLUGIN_TOOL_PREFIX } } },
    }),
    [`${SERVER_NAME}/hooks/hooks.json`]: json(hookSettings({ kind: 'command', command })),
    [`${SERVER_NAME}/bin/claude-peers`]: LAUNCHER_SH,
  };
}
