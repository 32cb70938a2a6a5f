import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { InboxResponse } from '../../protocol/wire.ts';
import { formatMessages } from '../../protocol/framing.ts';
import type { PeerSession } from '../peer-session.ts';
import { fail, respond } from './respond.ts';

/** Peer text one check_messages result carries at most. */
const RESULT_BYTES = 48 * 1024;

export function registerCheckMessages(mcp: McpServer, session: PeerSession): void {
  mcp.registerTool('check_messages', {
    title: 'Read unread peer messages',
    description: 'Return your unread messages from other Claude Code sessions (and the human) on the claude-peers network, and mark them read. Messages usually arrive by themselves; call this when told you have unread messages.',
    inputSchema: {},
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  }, async () => {
    try {
      const me = await session.current();
      const { messages: unread } = await session.client.get<InboxResponse>(`/peers/${me.id}/inbox`);
      // At most RESULT_BYTES of peer text in one result (never a message cut); the rest on the next call.
      const messages: typeof unread = [];
      let bytes = 0;
      for (const m of unread) {
        if (messages.length && bytes + Buffer.byteLength(m.body) > RESULT_BYTES) break;
        messages.push(m);
        bytes += Buffer.byteLength(m.body);
      }
      const more = unread.length - messages.length;
      // The tool result surely reaches the model, so these are read from here on.
      if (messages.length) {
        await session.client.post(`/peers/${me.id}/ack`, { ids: messages.map((m) => m.id), state: 'read' });
        session.markRead(messages.map((m) => m.id));
      }
      // The model reads structuredContent: peer text goes there only inside its frame (the text).
      return respond(session, formatMessages(messages, more, session.toolPrefix), { messages: messages.map(({ body: _body, ...m }) => m) }, false);
    } catch (e) {
      return fail(e);
    }
  });
}
