// Starting a program on Windows with its arguments exactly as given. A .cmd or .bat (npm's global
// `claude.cmd`, for one) runs in cmd.exe, and such a batch file passes %* on to node, so cmd parses
// each argument twice: quoted and caret-escaped twice, by cross-spawn's escaper, a prompt with
// quotes and `&` in it stays one argument instead of becoming a second command. (cross-spawn
// escapes twice only for shims under node_modules\.bin, not for npm's global ones.)
import { win32 } from 'node:path';
import escape from 'cross-spawn/lib/util/escape.js';

export interface WindowsCommand {
  command: string;
  args: string[];
  /** Pass to spawn as `windowsVerbatimArguments`: the line is quoted already. */
  verbatim: boolean;
}

export function isBatchFile(file: string): boolean {
  return /\.(cmd|bat)$/i.test(file);
}

export function windowsCommand(file: string, args: readonly string[], comspec = process.env.ComSpec ?? process.env.comspec ?? 'cmd.exe'): WindowsCommand {
  if (!isBatchFile(file)) return { command: file, args: [...args], verbatim: false };
  const line = [escape.command(win32.normalize(file)), ...args.map((a) => escape.argument(a, true))].join(' ');
  return { command: comspec, args: ['/d', '/s', '/c', `"${line}"`], verbatim: true };
}
