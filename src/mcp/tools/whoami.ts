import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { PeerSession } from '../peer-session.ts';
import { fail, respond } from './respond.ts';

export function registerWhoami(mcp: McpServer, session: PeerSession): void {
  mcp.registerTool('whoami', {
    title: 'Your identity on the peer network',
    description: 'Return your own peer id and name on the claude-peers network, as other Claude Code sessions see you.',
    inputSchema: {},
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, async () => {
    try {
      const me = await session.current();
      return respond(session, `You are ${me.name} (id ${me.id}), pid ${me.pid}, in ${me.cwd}${me.branch ? ` on ${me.branch}` : ''}.`,
        { id: me.id, name: me.name, cwd: me.cwd, gitRoot: me.gitRoot, branch: me.branch });
    } catch (e) {
      return fail(e);
    }
  });
}
