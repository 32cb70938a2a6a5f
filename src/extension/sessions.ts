// Ending a session the window cannot reach through a terminal (left running in another window, a
// tmux pane, a closed terminal's orphan): confirmed by the human, then SIGTERM to its claude
// process, only for sessions on this machine.
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import type { PeerDirectory } from '../client/directory.ts';
import { isAlive } from '../common/process.ts';
import { stopRefusal } from './human-rules.ts';
import type { TerminalMap } from './terminals.ts';

/** The process's command line (Linux /proc), or null where the OS does not tell it cheaply. */
function commandLine(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

/** True when it was signalled, false when the human cancelled; throws why it cannot be stopped. */
export async function stopSession(dir: PeerDirectory, terminals: TerminalMap, peerId: string, log: vscode.LogOutputChannel): Promise<boolean> {
  const peer = dir.peer(peerId);
  const refusal = stopRefusal(peer, !!(peer && terminals.terminalFor(peer)), {
    alive: !!peer && isAlive(peer.pid),
    commandLine: peer ? commandLine(peer.pid) : null,
  });
  if (refusal || !peer) throw new Error(refusal ?? 'That session is not known.');
  const choice = await vscode.window.showWarningMessage(
    `Stop the session ${peer.name}?`,
    {
      modal: true,
      detail: `It runs outside this window's terminals (pid ${peer.pid}, in ${peer.cwd}). Claude Peers asks its claude process to end (SIGTERM); whatever it is doing right now is interrupted.`,
    },
    'Stop Session',
  );
  if (choice !== 'Stop Session') return false;
  process.kill(peer.pid, 'SIGTERM');
  log.info(`The human stopped ${peer.name} (pid ${peer.pid}).`);
  return true;
}
