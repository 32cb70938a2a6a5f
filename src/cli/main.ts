// `claude-peers`: one entry for the standalone broker, the MCP server, the hooks and the human's
// commands. Subcommands load their modules lazily so a hook call stays fast.
import { parseArgs as nodeParseArgs } from 'node:util';
import { VERSION } from '../common/config.ts';
import type { Flags } from './commands.ts';

const HELP: Record<string, string> = {
  '': `claude-peers ${VERSION}: let Claude Code sessions on this machine find and message each other.

Usage: claude-peers <command> [options]

Commands:
  broker [--port N]        run the broker in the foreground (Ctrl-C stops it)
  mcp                      the stdio MCP server Claude Code starts for each session
  hook <event>             the Claude Code hook entry (reads the hook JSON on stdin)
  status                   is a broker running, where, with how many peers
  peers [--all] [--network] [--json]
                           list live peers (--all: also gone ones; --network: other hosts too)
  send <peer> <text...>    send a message as the human (--reply-to N to answer one)
  inbox [--follow]         messages sent to the human (--follow: wait for new ones)
  claude [args...]         start claude on the peer network (what VS Code terminals do)
  setup-claude [--json]    print how to add claude-peers to Claude Code outside VS Code

Environment: CLAUDE_PEERS_PORT (default 7899), CLAUDE_PEERS_HOME (default ~/.claude-peers).
Federation (peers on other hosts over NATS, see docs/federation.md): CLAUDE_PEERS_FEDERATION_URL,
CLAUDE_PEERS_FEDERATION_TOKEN or CLAUDE_PEERS_FEDERATION_CREDS, CLAUDE_PEERS_FEDERATION_NETWORK.
Run "claude-peers <command> --help" for details.`,
  broker: `Usage: claude-peers broker [--port N]

Runs the broker in the foreground on 127.0.0.1 (default port 7899 or $CLAUDE_PEERS_PORT).
Data lives in $CLAUDE_PEERS_HOME (default ~/.claude-peers): peers.db, token, logs.
Stops cleanly on Ctrl-C / SIGTERM.

With CLAUDE_PEERS_FEDERATION_URL (nats://host:4222 or tls://host:4222) the broker also joins a
network of brokers on other hosts over NATS JetStream (docs/federation.md):
  CLAUDE_PEERS_FEDERATION_TOKEN     a NATS token, or
  CLAUDE_PEERS_FEDERATION_CREDS     a NATS credentials (.creds) or nkey seed file
  CLAUDE_PEERS_FEDERATION_NETWORK   the network's name (default "default")
  CLAUDE_PEERS_FEDERATION_CA        a CA certificate for tls:// (when not in the system store)
  CLAUDE_PEERS_FEDERATION_HOST      how this machine is named to the others (default: its host name)
Without it nothing leaves this machine.`,
  mcp: `Usage: claude-peers mcp

The stdio MCP server that Claude Code starts for one session. Not for humans: add it with
"claude-peers setup-claude". Starts a background broker when none answers (CLAUDE_PEERS_AUTOSTART=0 disables).`,
  hook: `Usage: claude-peers hook <event>

The Claude Code hook entry: reads the hook JSON on stdin and prints the hook's answer.
Events: SessionStart, UserPromptSubmit, PreToolUse, PostToolUse, Stop, SessionEnd.
Never fails a session: exits 0 silently when the broker is down.`,
  status: `Usage: claude-peers status [--json]

Says whether a broker answers, its version, port, database and the number of live peers, and
its federation: off, connected, or disconnected since when (with the URL, never a credential).`,
  peers: `Usage: claude-peers peers [--all] [--network] [--json]

Lists live peers (--all includes gone ones). --network adds the peers of the other brokers of the
federation, each with its host.`,
  send: `Usage: claude-peers send <peer> <text...> [--reply-to N]

Sends a message from you (the human) to a peer (name or id), or to "machine" for everyone.
The peer can answer with send_message to "human"; read answers with "claude-peers inbox".`,
  inbox: `Usage: claude-peers inbox [--follow] [--json]

Shows the messages peers sent to the human. --follow keeps waiting for new ones.`,
  'claude-shim': `Usage: claude [args...]   (through the VS Code extension's shim)

Starts the real claude found further down PATH with the claude-peers MCP server and hooks added.
Started by the "claude" shim the VS Code extension puts on its terminals' PATH; not run by hand.`,
  claude: `Usage: claude-peers claude [claude args...]

Starts the real claude (the first on PATH) on the peer network, as a VS Code terminal does: our MCP
server and hooks are added for this session only, your arguments pass through unchanged. When the
broker answers and proves itself, the per-tool-call hooks are HTTP hooks (a few ms each).`,
  'setup-claude': `Usage: claude-peers setup-claude [--json]

Prints (never writes) how to put Claude Code sessions outside VS Code on the peer network: the
plugin install, the "claude mcp add" line and hooks JSON without plugins, and the allow rule for
our tools. --json prints {"mcpConfig": …, "settings": …} for scripts (--mcp-config / --settings).`,
};

/** The options each command takes; anything else is an error that names it. */
const OPTIONS: Record<string, Record<string, { type: 'string' | 'boolean' }>> = {
  broker: { port: { type: 'string' } },
  status: { json: { type: 'boolean' } },
  peers: { all: { type: 'boolean' }, network: { type: 'boolean' }, json: { type: 'boolean' } },
  send: { 'reply-to': { type: 'string' } },
  inbox: { follow: { type: 'boolean' }, json: { type: 'boolean' } },
  'setup-claude': { json: { type: 'boolean' } },
  mcp: {},
  hook: {},
};

/** Parses a command's arguments with node:util (`--x=a=b` keeps `a=b`); throws a UsageError on an unknown flag. */
export function parseCommandArgs(cmd: string, argv: string[]): { positional: string[]; flags: Flags } {
  try {
    const { values, positionals } = nodeParseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { ...OPTIONS[cmd], help: { type: 'boolean', short: 'h' } },
    });
    return { positional: positionals, flags: values as Flags };
  } catch (e) {
    throw new UsageError(`claude-peers ${cmd}: ${(e as Error).message.split('\n')[0]}. Run "claude-peers ${cmd} --help".`);
  }
}

export class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { console.log(HELP['']); return 0; }
  if (cmd === '--version' || cmd === '-v') { console.log(VERSION); return 0; }
  if (!(cmd in HELP)) {
    console.error(`claude-peers: unknown command "${cmd}". Run "claude-peers --help" for the list.`);
    return 2;
  }
  if (cmd === 'claude-shim') {
    // Every argument belongs to claude, --help included: parse nothing.
    const { runClaudeShim } = await import('../client/claude-launch.ts');
    return runClaudeShim(rest);
  }
  if (cmd === 'claude') {
    const { runClaude } = await import('./run-claude.ts');
    return runClaude(rest);
  }
  let parsed;
  try { parsed = parseCommandArgs(cmd, rest); } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(e.message);
    return 2;
  }
  const { positional, flags } = parsed;
  if (flags.help) { console.log(HELP[cmd]); return 0; }
  switch (cmd) {
    case 'mcp': {
      const { runMcpServer } = await import('../mcp/server.ts');
      await runMcpServer();
      return -1; // keeps running
    }
    case 'hook': {
      const { runHook } = await import('../hooks/run-hook.ts');
      return runHook(positional[0] ?? '');
    }
    default: {
      const { runCommand } = await import('./commands.ts');
      return runCommand(cmd, positional, flags);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exitCode = code; },
  (e) => {
    console.error(`claude-peers: ${(e as Error)?.message ?? e}`);
    process.exit(1);
  },
);
