// When to nudge an idle session that has unread messages: pure rules, shared by the VS Code
// extension (which types a neutral prompt into the session's terminal) and its tests.
import type { Message, Peer } from '../protocol/wire.ts';

export type WakeMode = 'off' | 'ask' | 'on';

/** No second nudge for the same peer sooner than this, unless newer messages came. */
export const WAKE_REPEAT_MS = 30_000;

export interface WakeInput {
  peer: Peer | undefined;
  /** The peer's messages that have not surely reached the model. */
  unread: Message[];
  /** The session runs in one of this window's terminals. */
  inThisWindow: boolean;
  modes: { peer: WakeMode; human: WakeMode };
  last: { at: number; newest: number } | undefined;
  now: number;
}

export type WakeDecision = { action: 'skip'; why: string } | { action: 'ask' | 'wake'; count: number; newest: number; fromHuman: boolean };

export function decideWake(i: WakeInput): WakeDecision {
  if (!i.peer) return { action: 'skip', why: 'unknown peer' };
  if (i.peer.status !== 'idle') return { action: 'skip', why: 'not idle: its hooks deliver' };
  if (!i.unread.length) return { action: 'skip', why: 'nothing unread' };
  if (!i.inThisWindow) return { action: 'skip', why: 'not in this window' };
  const newest = Math.max(...i.unread.map((m) => m.id));
  if (i.last && i.last.newest >= newest && i.now - i.last.at < WAKE_REPEAT_MS) return { action: 'skip', why: 'nudged recently' };
  const fromHuman = i.unread.some((m) => m.fromKind === 'human');
  const mode = fromHuman ? i.modes.human : i.modes.peer;
  if (mode === 'off') return { action: 'skip', why: 'waking is off' };
  return { action: mode === 'ask' ? 'ask' : 'wake', count: i.unread.length, newest, fromHuman };
}

/** The prompt typed into the terminal: neutral, never the sender's words. */
export function wakePrompt(n: number): string {
  return `[claude-peers] ${n} new message${n === 1 ? '' : 's'}: read ${n === 1 ? 'it' : 'them'} with check_messages`;
}
