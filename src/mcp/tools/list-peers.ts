import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { PeersResponse, Peer } from '../../protocol/wire.ts';
import { PEER_LIST_NOTE, describePeer, fieldText } from '../../protocol/framing.ts';
import type { PeerSession } from '../peer-session.ts';
import { fail, respond } from './respond.ts';

export function registerListPeers(mcp: McpServer, session: PeerSession): void {
  mcp.registerTool('list_peers', {
    title: 'List peer Claude Code sessions',
    description: 'List the other Claude Code sessions on the claude-peers network (not Claude Code\'s built-in agents): name, id, status, working directory, git branch, what they work on and which files they edit. Sessions on other machines (a devcontainer, an SSH host, a teammate) are listed with their host when the broker is federated. Use it before messaging a peer or touching shared files.',
    inputSchema: {
      scope: z.enum(['machine', 'directory', 'repo', 'network']).default('machine')
        .describe('"machine": every session on this machine; "directory": same working directory as you; "repo": same git repository as you, on this machine and on other hosts (same remote); "network": every session on every machine of the federation.'),
      limit: z.number().int().min(1).max(500).default(50)
        .describe('At most this many peers, the most relevant first (same repository, then working, then most recently seen).'),
    },
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, async ({ scope, limit }) => {
    try {
      const me = await session.current();
      // "repo" and "network" reach other hosts: the broker's network list carries each peer's repository identity.
      const wide = scope === 'network' || scope === 'repo';
      const { peers } = await session.client.get<PeersResponse>(wide ? '/peers?network=1' : '/peers');
      const myRepo = peers.find((p) => p.id === me.id)?.repo ?? null;
      const inScope = peers.filter((p: Peer) => scope === 'machine' || scope === 'network'
        || (scope === 'directory' && p.cwd === me.cwd)
        || (scope === 'repo' && (p.host ? !!myRepo && p.repo === myRepo : (p.gitRoot ?? p.cwd) === (me.gitRoot ?? me.cwd))));
      const others = inScope.filter((p) => p.id !== me.id);
      const repo = me.gitRoot ?? me.cwd;
      const rank = (p: Peer) => ((p.gitRoot ?? p.cwd) === repo || (!!myRepo && p.repo === myRepo) ? 0 : 2) + (p.status === 'working' ? 0 : 1);
      const shown = others
        .sort((a, b) => rank(a) - rank(b) || b.lastSeen.localeCompare(a.lastSeen))
        .slice(0, limit);
      const more = others.length - shown.length;
      const text = others.length
        ? `${others.length} other peer${others.length > 1 ? 's' : ''} (${scope}); you are ${me.name}. ${PEER_LIST_NOTE}\n${shown.map((p) => describePeer(p)).join('\n')}` +
          (more ? `\n… and ${more} more: narrow with scope "repo" or "directory", or raise limit.` : '')
        : `No other peers in scope "${scope}" right now; you are ${me.name}.`;
      // Compact structured form: what a model or a client needs to act, not every file touched.
      // Claude Code shows the model this JSON: the peers' own fields are made safe here too.
      const compact = shown.map((p) => ({
        id: p.id, name: p.name, kind: p.kind, host: p.host && fieldText(p.host, 100), status: p.status, cwd: fieldText(p.cwd, 300),
        gitRoot: p.gitRoot && fieldText(p.gitRoot, 300), branch: p.branch && fieldText(p.branch, 100),
        summary: fieldText(p.summary ?? p.task, 200) || null, files: p.files.slice(0, 5).map((f) => fieldText(f.path, 300)), lastSeen: p.lastSeen,
      }));
      return respond(session, text, { scope, you: me.id, total: others.length, peers: compact });
    } catch (e) {
      return fail(e);
    }
  });
}
