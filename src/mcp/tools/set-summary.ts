import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RegisterResponse } from '../../protocol/wire.ts';
import type { PeerSession } from '../peer-session.ts';
import { fail, respond } from './respond.ts';

export function registerSetSummary(mcp: McpServer, session: PeerSession): void {
  mcp.registerTool('set_summary', {
    title: 'Tell peers what you are working on',
    description: 'Set the one-line summary other Claude Code sessions on the claude-peers network (and the human\'s panel) see for you. Call it when you start or switch tasks.',
    inputSchema: {
      summary: z.string().max(1000).describe('What you are doing, in one line, e.g. "refactoring the auth middleware in src/auth".'),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async ({ summary }) => {
    try {
      const me = await session.current();
      const { peer } = await session.client.put<RegisterResponse>(`/peers/${me.id}/summary`, { summary });
      return respond(session, `Summary set: ${peer.summary ?? '(cleared)'}`, { id: peer.id, summary: peer.summary });
    } catch (e) {
      return fail(e);
    }
  });
}
