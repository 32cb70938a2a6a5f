// How a Claude Code session starts our MCP server and hooks: one definition for the VS Code shim,
// `claude-peers claude`, `claude-peers setup-claude`, the "Copy Setup" command and the plugin.
import { join } from 'node:path';
import { DEFAULT_TOOL_PREFIX, SERVER_NAME } from '../protocol/framing.ts';
import type { PeersConfig } from './config.ts';
import { hookSettings, shellQuote, type HookSettings } from './hook-config.ts';
import { replacePrivateFile, securePrivateFile, ensurePrivateDir } from './private-files.ts';

export { SERVER_NAME };

export interface Runtime {
  /** The Node that runs our bundles (in VS Code: the editor's own binary). */
  node: string;
  /** Absolute path of dist/cli.js. */
  cli: string;
  /** Absolute path of dist/hook.js, the command hooks' small bundle. */
  hook: string;
  /** The editor's binary is Electron: it runs as Node only with ELECTRON_RUN_AS_NODE=1. */
  electron: boolean;
  /** Extra environment for the MCP server and hooks (CLAUDE_PEERS_HOME/PORT when not default). */
  env?: Record<string, string>;
}

/** The runtime of this very process: its Node and the bundle it runs from (dist/). */
export function currentRuntime(distDir: string, env: Record<string, string> = {}): Runtime {
  return { node: process.execPath, cli: join(distDir, 'cli.js'), hook: join(distDir, 'hook.js'), electron: !!process.versions.electron, env };
}

/** The environment the MCP server and the hooks run with. */
function runtimeEnv(rt: Runtime): Record<string, string> {
  return { ...(rt.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}), ...rt.env };
}

export type McpServerEntry = { type: 'stdio'; command: string; args: string[]; env?: Record<string, string> };

export function mcpServerEntry(rt: Runtime): McpServerEntry {
  const env = runtimeEnv(rt);
  return { type: 'stdio', command: rt.node, args: [rt.cli, 'mcp'], ...(Object.keys(env).length ? { env } : {}) };
}

export function mcpConfig(rt: Runtime): { mcpServers: Record<string, McpServerEntry> } {
  return { mcpServers: { [SERVER_NAME]: mcpServerEntry(rt) } };
}

/** The command line of one command hook (`wait`: the idle waiter): the small bundle, env prefixed. */
export function hookCommand(rt: Runtime, event: string): string {
  const prefix = Object.entries(runtimeEnv(rt)).map(([k, v]) => `${k}=${shellQuote(v)} `).join('');
  return `${prefix}${shellQuote(rt.node)} ${shellQuote(rt.hook)} ${event}`;
}

/** Where the hot hooks go: processes that check the broker each time, or HTTP on a port verified at launch. */
export type HookPlacement = 'command' | { port: number; conflicts: string; locks: string };

export function hooksFor(rt: Runtime, placement: HookPlacement = 'command'): HookSettings {
  const command = (event: string) => hookCommand(rt, event);
  return hookSettings(placement === 'command' ? { kind: 'command', command } : { kind: 'http', ...placement, command });
}

/**
 * The allow rule for our own tools, so a session in Claude Code's default permission mode never
 * stops at "Do you want to proceed?" for a message or a summary (none of them touches files or
 * runs commands), and nobody is led to "don't ask again", which writes into their repository.
 */
export function allowOurTools(toolPrefix = DEFAULT_TOOL_PREFIX): { permissions: { allow: string[] } } {
  return { permissions: { allow: [toolPrefix.replace(/__$/, '')] } };
}

/** The one line that adds the server for every project of a user (outside VS Code). */
export function mcpAddLine(rt: Runtime): string {
  return `claude mcp add-json -s user ${SERVER_NAME} ${shellQuote(JSON.stringify(mcpServerEntry(rt)))}`;
}

/**
 * `$CLAUDE_PEERS_HOME/runtime.env`: which Node and bundles the plugin's launcher runs. The
 * extension rewrites it at every start and the CLI when it sets things up, so a plugin Claude
 * Code copied into its cache keeps working after the extension or the package is updated.
 */
export function writeRuntimeFile(cfg: PeersConfig, rt: Runtime): string {
  ensurePrivateDir(cfg.home);
  const path = join(cfg.home, 'runtime.env');
  securePrivateFile(path);
  const lines = [`node=${rt.node}`, `cli=${rt.cli}`, `hook=${rt.hook}`, `electron=${rt.electron ? 1 : 0}`];
  for (const [k, v] of Object.entries(rt.env ?? {})) if (/^CLAUDE_PEERS_[A-Z_]+$/.test(k) && !/[\r\n]/.test(v)) lines.push(`env ${k}=${v}`);
  replacePrivateFile(path, `${lines.join('\n')}\n`);
  return path;
}
