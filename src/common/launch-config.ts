// How a Claude Code session starts our MCP server and hooks: one definition for
// `claude-peers setup-claude`, the VS Code terminal shim and the "Copy setup" command.
import { hookSettings, shellQuote } from '../hooks/settings.ts';

export const SERVER_NAME = 'claude-peers';

export interface Runtime {
  /** The Node that runs dist/cli.js (in VS Code: the editor's own binary). */
  node: string;
  /** Absolute path of dist/cli.js. */
  cli: string;
  /** The editor's binary is Electron: it runs as Node only with ELECTRON_RUN_AS_NODE=1. */
  electron: boolean;
  /** Extra environment for the MCP server and hooks (CLAUDE_PEERS_HOME/PORT when not default). */
  env?: Record<string, string>;
}

/** The environment the MCP server and the hooks run with. */
function runtimeEnv(rt: Runtime): Record<string, string> {
  return { ...(rt.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}), ...rt.env };
}

export function mcpServerEntry(rt: Runtime): { type: 'stdio'; command: string; args: string[]; env?: Record<string, string> } {
  const env = runtimeEnv(rt);
  return { type: 'stdio', command: rt.node, args: [rt.cli, 'mcp'], ...(Object.keys(env).length ? { env } : {}) };
}

export function mcpConfig(rt: Runtime): { mcpServers: Record<string, ReturnType<typeof mcpServerEntry>> } {
  return { mcpServers: { [SERVER_NAME]: mcpServerEntry(rt) } };
}

/** The hook command line for one event; env prefixes work in the POSIX shell Claude Code uses. */
export function hookCommand(rt: Runtime, event: string): string {
  const prefix = Object.entries(runtimeEnv(rt)).map(([k, v]) => `${k}=${shellQuote(v)} `).join('');
  return `${prefix}${shellQuote(rt.node)} ${shellQuote(rt.cli)} hook ${event}`;
}

export function hooksFor(rt: Runtime): ReturnType<typeof hookSettings> {
  return hookSettings((ev) => hookCommand(rt, ev));
}

/** The one line that adds the server for every project of a user (outside VS Code). */
export function mcpAddLine(rt: Runtime): string {
  return `claude mcp add-json -s user ${SERVER_NAME} ${shellQuote(JSON.stringify(mcpServerEntry(rt)))}`;
}
