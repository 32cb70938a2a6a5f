// What a hook answers Claude Code for each event, as Claude Code reads it (the same JSON for an
// HTTP hook's response body and a command hook's stdout): context for the model, a permission
// decision before a conflicting edit or a locked command, a Stop block with new messages.
import { DEFAULT_TOOL_PREFIX, PEER_LIST_NOTE, TOOL, conflictWarning, describePeer, fieldText, formatMessages } from '../protocol/framing.ts';
import type { Claim, Conflict, HookEventName, LockInfo, Message, Peer } from '../protocol/wire.ts';

/** `warn`: the agent is told; `ask`: Claude Code asks the user; `deny`: the tool does not run; `off`: nothing. */
export type HookPolicy = 'off' | 'warn' | 'ask' | 'deny';

export interface HookFacts {
  event: HookEventName;
  peer: Peer;
  /** Messages handed over with this answer (and the count of those that wait for the next hook). */
  messages: Message[];
  more: number;
  stopHookActive: boolean;
  conflicts: Conflict[];
  lockBlocked?: LockInfo;
  /** SessionStart: who is around, and what this peer holds (after compaction or resume). */
  others?: Peer[];
  locks?: LockInfo[];
  claims?: Claim[];
  conflictPolicy: HookPolicy;
  lockPolicy: HookPolicy;
  /** How this session's Claude Code names our tools. */
  toolPrefix?: string;
}

type Output = Record<string, unknown> | null;

const context = (event: string, text: string): Output => ({ hookSpecificOutput: { hookEventName: event, additionalContext: text } });
const decision = (event: string, d: 'ask' | 'deny', why: string): Output =>
  ({ hookSpecificOutput: { hookEventName: event, permissionDecision: d, permissionDecisionReason: why } });

/** Claude Code's hook output for these facts, or null for "nothing to say". */
export function hookOutput(f: HookFacts): Output {
  const { event, messages: msgs } = f;
  const px = f.toolPrefix ?? DEFAULT_TOOL_PREFIX;
  const tool = (name: string) => TOOL(name, px);
  switch (event) {
    case 'SessionStart': {
      const others = (f.others ?? []).filter((p) => p.status !== 'gone');
      const parts = [`[claude-peers] You are "${f.peer.name}" on the claude-peers network of Claude Code sessions` +
        ` (tools: ${tool('*')}). ${others.length ? `${others.length} other peer(s) around. ${PEER_LIST_NOTE}` : 'No other peers right now.'}`];
      for (const p of others.slice(0, 20)) parts.push(describePeer(p));
      if (others.length > 20) parts.push(`… and ${others.length - 20} more: ${tool('list_peers')} shows them.`);
      // After compaction or resume the model has forgotten what it held: remind it.
      for (const l of f.locks ?? []) {
        parts.push(l.holder?.id === f.peer.id
          ? `You hold the lock "${fieldText(l.name)}" (${fieldText(l.holder.reason ?? 'no reason')}) until ${l.holder.expiresAt}; release it with ${tool('release_lock')} when done.`
          : `You are waiting for the lock "${fieldText(l.name)}".`);
      }
      for (const c of f.claims ?? []) parts.push(`You claimed "${fieldText(c.pattern, 500)}" (${fieldText(c.reason ?? 'no reason')}) until ${c.expiresAt}.`);
      if (msgs.length || f.more) parts.push(formatMessages(msgs, f.more, px));
      return context(event, parts.join('\n'));
    }
    case 'UserPromptSubmit':
    case 'PostToolUse':
      return msgs.length || f.more ? context(event, formatMessages(msgs, f.more, px)) : null;
    case 'Stop':
      // Keep the session going once with what arrived during the turn, instead of letting it wait.
      return msgs.length && !f.stopHookActive ? { decision: 'block', reason: formatMessages(msgs, f.more, px) } : null;
    case 'PreToolUse': {
      if (f.lockBlocked?.holder && f.lockPolicy !== 'off') {
        const h = f.lockBlocked.holder;
        const why = `[claude-peers] The lock "${fieldText(f.lockBlocked.name)}" is held by peer ${fieldText(h.name, 64)} since ${h.acquiredAt} (${fieldText(h.reason ?? 'no reason given')}). ` +
          `Running this command now could collide with theirs: wait a little and retry, or ask them with ${tool('send_message')}.`;
        if (f.lockPolicy === 'warn') return context(event, why);
        return decision(event, f.lockPolicy === 'ask' ? 'ask' : 'deny', why);
      }
      if (!f.conflicts.length || f.conflictPolicy === 'off') return null;
      const warning = f.conflicts.map((c) => conflictWarning(c, px)).join('\n');
      if (f.conflictPolicy === 'ask' || f.conflictPolicy === 'deny') return decision(event, f.conflictPolicy, warning);
      return context(event, warning);
    }
    default:
      return null;
  }
}

/** Whether the messages of this answer reach the model with it (not for a Stop that does not block). */
export function handsOver(f: Pick<HookFacts, 'event' | 'messages' | 'stopHookActive'>): boolean {
  if (!f.messages.length) return false;
  if (f.event === 'Stop') return !f.stopHookActive;
  return f.event === 'SessionStart' || f.event === 'UserPromptSubmit' || f.event === 'PostToolUse';
}

export function parsePolicy(v: unknown, dflt: HookPolicy): HookPolicy {
  return v === 'off' || v === 'warn' || v === 'ask' || v === 'deny' ? v : dflt;
}
