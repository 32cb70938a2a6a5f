import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { PeerSession } from '../peer-session.ts';
import { registerListPeers } from './list-peers.ts';
import { registerSendMessage } from './send-message.ts';
import { registerSetSummary } from './set-summary.ts';
import { registerCheckMessages } from './check-messages.ts';
import { registerWhoami } from './whoami.ts';
import { registerLockTools } from './locks.ts';

export function registerTools(mcp: McpServer, session: PeerSession): void {
  registerListPeers(mcp, session);
  registerSendMessage(mcp, session);
  registerSetSummary(mcp, session);
  registerCheckMessages(mcp, session);
  registerWhoami(mcp, session);
  registerLockTools(mcp, session);
}
