import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { PeersResponse, Peer } from '../../protocol/wire.ts';
import { describePeer } from '../../protocol/framing.ts';
import type { PeerSession } from '../peer-session.ts';
import { fail, respond } from './respond.ts';

export function registerListPeers(mcp: McpServer, session: PeerSession): void {
  mcp.registerTool('list_peers', {
    title: 'List peer Claude Code sessions',
    description: 'List the other Claude Code sessions on this machine that are on the claude-peers network (not Claude Code\'s built-in agents): name, id, status, working directory, git branch, what they work on and which files they edit. Use it before messaging a peer or touching shared files.',
    inputSchema: {
      scope: z.enum(['machine', 'directory', 'repo']).default('machine')
        .describe('"machine": every session on this machine; "directory": same working directory as you; "repo": same git repository as you.'),
    },
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, async ({ scope }) => {
    try {
      const me = await session.current();
      const { peers } = await session.client.get<PeersResponse>('/peers');
      const inScope = peers.filter((p: Peer) => scope === 'machine'
        || (scope === 'directory' && p.cwd === me.cwd)
        || (scope === 'repo' && (p.gitRoot ?? p.cwd) === (me.gitRoot ?? me.cwd)));
      const others = inScope.filter((p) => p.id !== me.id);
      const text = others.length
        ? `${others.length} other peer${others.length > 1 ? 's' : ''} (${scope}); you are ${me.name}:\n${others.map((p) => describePeer(p)).join('\n')}`
        : `No other peers in scope "${scope}" right now; you are ${me.name}.`;
      return respond(session, text, { scope, you: me.id, peers: others });
    } catch (e) {
      return fail(e);
    }
  });
}
