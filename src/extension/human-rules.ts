// The rules for what the human may do from VS Code, as pure functions (no vscode import, so they
// are unit-tested in node): whom a message can go to, which messages can be marked read, which
// sessions can be stopped from here. The panel's webview is not trusted: every request it makes
// is checked again here against the directory's picture.
import { isAbsolute, relative } from 'node:path';
import { HUMAN_ID, type Message, type Peer } from '../protocol/wire.ts';

export type Target =
  | { kind: 'peer'; peer: Peer }
  /** A group: the host asks the human to confirm before it sends. */
  | { kind: 'scope'; to: string; label: string; peers: Peer[] };

const base = (p: string) => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || p;

/** Whether `cwd` is `dir` or below it. */
export function isUnder(dir: string, cwd: string): boolean {
  const r = relative(dir, cwd);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Who gets a message sent to `to`; throws an Error that says what to do instead. */
export function resolveTarget(to: string, peers: readonly Peer[]): Target {
  const live = peers.filter((p) => p.status !== 'gone');
  if (to === 'machine' || to.startsWith('under:')) {
    const dir = to === 'machine' ? null : to.slice('under:'.length);
    if (dir !== null && !isAbsolute(dir)) throw new Error('That group is not a folder: choose who gets the message.');
    const group = dir === null ? live : live.filter((p) => isUnder(dir, p.cwd));
    const label = dir === null ? 'every session on this machine' : `every session in ${base(dir)}`;
    if (!group.length) throw new Error(`Nobody would get it: there is no live session ${dir === null ? 'on this machine' : `in ${base(dir)}`}.`);
    return { kind: 'scope', to, label, peers: group };
  }
  const peer = peers.find((p) => p.id === to);
  if (!peer) throw new Error('That session is not known (any more): choose who gets the message.');
  if (peer.status === 'gone') throw new Error(`${peer.name} has ended, so the message was not sent: choose who gets it.`);
  return { kind: 'peer', peer };
}

/** Of `ids`, those of messages to the human that are not read yet (the rest are ignored). */
export function unreadToHuman(ids: readonly number[] | null, messages: readonly Message[]): number[] {
  const wanted = ids ? new Set(ids) : null;
  const out = new Set<number>();
  for (const m of messages) {
    if (m.toId === HUMAN_ID && m.state !== 'read' && (!wanted || wanted.has(m.id))) out.add(m.id);
  }
  return [...out];
}

export interface ProcessFacts {
  alive: boolean;
  /** The process's command line where the OS tells it (Linux), else null. */
  commandLine: string | null;
}

/** Why this session cannot be stopped from here, or null when it can. */
export function stopRefusal(peer: Peer | undefined, inThisWindow: boolean, facts: ProcessFacts): string | null {
  if (!peer) return 'That session is not known (any more).';
  if (peer.status === 'gone') return `${peer.name} has already ended.`;
  if (peer.host !== null) return `${peer.name} runs on ${peer.host}, not on this machine: stop it there.`;
  if (inThisWindow) return `${peer.name} runs in a terminal of this window: stop it there.`;
  if (!Number.isInteger(peer.pid) || peer.pid <= 1) return `${peer.name} has no process id to stop.`;
  if (!facts.alive) return `${peer.name}'s process (pid ${peer.pid}) is no longer running.`;
  // A pid the session had may now belong to something else: only signal what still looks like it.
  if (facts.commandLine !== null && !/claude/i.test(facts.commandLine)) return `pid ${peer.pid} no longer runs ${peer.name}'s Claude Code, so nothing was stopped.`;
  return null;
}
