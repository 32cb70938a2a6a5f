// Tool results: text for the model plus structuredContent, and on every result the short
// "N unread messages" line while something waits, so a session without channels still notices.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BrokerError } from '../../client/broker-client.ts';
import { unreadLine } from '../../protocol/framing.ts';
import type { PeerSession } from '../peer-session.ts';

export function respond(session: PeerSession, text: string, structured: Record<string, unknown>, withUnread = true): CallToolResult {
  const content: CallToolResult['content'] = [{ type: 'text', text }];
  const line = withUnread ? unreadLine(session.unreadMessages(), session.toolPrefix) : null;
  if (line) content.push({ type: 'text', text: line });
  // Claude Code (2.1.x) shows the model the JSON of structuredContent instead of the text blocks
  // when a result has both: the text written for the model (and the unread line) rides in it first.
  return { content, structuredContent: { text: content.map((c) => (c.type === 'text' ? c.text : '')).join('\n'), ...structured } };
}

/** Expected failures come back to the model as isError with what to do next. */
export function fail(e: unknown): CallToolResult {
  const msg = e instanceof BrokerError ? e.message : `Unexpected error: ${(e as Error)?.message ?? String(e)}`;
  return { content: [{ type: 'text', text: `claude-peers: ${msg}` }], isError: true };
}
