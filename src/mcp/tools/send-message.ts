import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SendResponse } from '../../protocol/wire.ts';
import type { PeerSession } from '../peer-session.ts';
import { fail, respond } from './respond.ts';

export function registerSendMessage(mcp: McpServer, session: PeerSession): void {
  mcp.registerTool('send_message', {
    title: 'Message a peer Claude Code session',
    description: 'Send a message over the claude-peers network to another Claude Code session, on this machine or (when the broker is federated) on another host (not Claude Code\'s built-in SendMessage). It is stored durably and delivered in real time; the peer sees it as a message from you. Address a peer by name, name@host or id, "human" for the person at the Claude Peers panel, or broadcast with "machine", "directory", "repo" (also other hosts\' clones of it) or "network" (every host).',
    inputSchema: {
      to: z.string().min(1).max(200).describe('Peer name (e.g. "calm-otter"), name@host for a session on another machine, or id from list_peers; "human"; or a broadcast scope: "machine", "directory", "repo", "network".'),
      message: z.string().min(1).max(32_768).describe('The text to send (at most 32 KiB). Be concise and self-contained.'),
      reply_to: z.number().int().positive().optional().describe('Id of the message you are answering, to keep the thread.'),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  }, async ({ to, message, reply_to }) => {
    try {
      await session.current();
      const { messages } = await session.client.post<SendResponse>('/messages', { to, body: message, replyTo: reply_to ?? null });
      const names = messages.map((m) => m.toName).join(', ');
      return respond(session, `Sent message #${messages[0].id} to ${names}.`, { id: messages[0].id, to: messages.map((m) => ({ id: m.toId, name: m.toName })) });
    } catch (e) {
      return fail(e);
    }
  });
}
