import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { LockInfo } from '../../protocol/wire.ts';
import type { PeerSession } from '../peer-session.ts';
import { fail, respond } from './respond.ts';
import { fieldText } from '../../protocol/framing.ts';

// Lock names and reasons are written by other sessions: quoted and made safe.
const describe = (l: LockInfo) =>
  `- "${fieldText(l.name)}": ${l.holder ? `held by ${l.holder.name} since ${l.holder.acquiredAt} ("${fieldText(l.holder.reason ?? 'no reason')}"), expires ${l.holder.expiresAt}` : 'free'}` +
  (l.waiters.length ? `; waiting: ${l.waiters.map((w) => w.name).join(', ')}` : '');

export function registerLockTools(mcp: McpServer, session: PeerSession): void {
  mcp.registerTool('acquire_lock', {
    title: 'Take a named lock shared with peer sessions',
    description: 'Take a named lock on the claude-peers network so that peer Claude Code sessions on this machine do not run conflicting work at the same time (e.g. "git:/path/to/repo" before a rebase, "npm-install:/path" before installing, or any name you agree on). Locks are queued fairly, expire after ttl_seconds, and are released automatically if your session ends. Release it with release_lock when done.',
    inputSchema: {
      name: z.string().min(1).max(200).describe('Lock name, e.g. "git:/home/me/repo", "npm-install:/home/me/repo" or "deploy".'),
      reason: z.string().max(500).optional().describe('Why you need it; shown to peers who have to wait.'),
      ttl_seconds: z.number().int().min(1).max(86_400).default(600).describe('Auto-release after this many seconds (default 600).'),
      wait_seconds: z.number().int().min(0).max(120).default(0).describe('Wait in the queue up to this long if someone else holds it (default 0: answer at once).'),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async ({ name, reason, ttl_seconds, wait_seconds }) => {
    try {
      await session.current();
      const r = await session.client.post<{ granted: boolean; lock: LockInfo; position?: number }>(
        `/locks/${encodeURIComponent(name)}/acquire`,
        { reason: reason ?? null, ttlMs: ttl_seconds * 1000, waitMs: wait_seconds * 1000 },
        wait_seconds * 1000 + 5000,
      );
      const text = r.granted
        ? `You hold the lock "${name}" until ${r.lock.holder?.expiresAt}. Release it with release_lock when done.`
        : `The lock "${name}" is held by ${r.lock.holder?.name ?? 'another peer'} ("${fieldText(r.lock.holder?.reason ?? 'no reason')}"). Try again later, wait with wait_seconds, or message them.`;
      return respond(session, text, { granted: r.granted, lock: r.lock });
    } catch (e) {
      return fail(e);
    }
  });

  mcp.registerTool('release_lock', {
    title: 'Release a named lock',
    description: 'Release a lock you took with acquire_lock on the claude-peers network (or leave its queue), so the next peer session can go ahead.',
    inputSchema: { name: z.string().min(1).max(200).describe('The lock name you acquired.') },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async ({ name }) => {
    try {
      await session.current();
      const r = await session.client.post<{ released: boolean }>(`/locks/${encodeURIComponent(name)}/release`, {});
      return respond(session, r.released ? `Released "${name}".` : `You did not hold "${name}"; nothing to release.`, r);
    } catch (e) {
      return fail(e);
    }
  });

  mcp.registerTool('list_locks', {
    title: 'List locks and claims',
    description: 'List the named locks and file claims held by Claude Code sessions on the claude-peers network, with holders, reasons, ages and waiters.',
    inputSchema: {},
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  }, async () => {
    try {
      await session.current();
      const { locks } = await session.client.get<{ locks: LockInfo[] }>('/locks');
      const { claims } = await session.client.get<{ claims: { peerName: string; pattern: string; reason: string | null; expiresAt: string }[] }>('/claims');
      const lines = [locks.length ? `Locks:\n${locks.map(describe).join('\n')}` : 'No locks held.',
        claims.length ? `Claims:\n${claims.map((c) => `- "${fieldText(c.pattern, 500)}" by ${c.peerName} ("${fieldText(c.reason ?? 'no reason')}") until ${c.expiresAt}`).join('\n')}` : 'No file claims.'];
      return respond(session, lines.join('\n'), { locks, claims });
    } catch (e) {
      return fail(e);
    }
  });

  mcp.registerTool('claim_files', {
    title: 'Claim files you are about to change',
    description: 'Tell peer Claude Code sessions on the claude-peers network that you are changing these files or folders (paths or globs like "src/auth/**"; relative to your working directory). A peer about to edit a claimed file is warned first, and the human sees the claim. Claims expire after ttl_seconds and end with your session.',
    inputSchema: {
      paths: z.array(z.string().min(1).max(4096)).min(1).max(200).describe('Files, folders or globs (* within a folder, ** across folders).'),
      reason: z.string().max(500).optional().describe('What you are doing with them.'),
      ttl_seconds: z.number().int().min(1).max(604_800).default(3600).describe('How long the claim lasts (default one hour).'),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async ({ paths, reason, ttl_seconds }) => {
    try {
      await session.current();
      const { claims } = await session.client.post<{ claims: { pattern: string; expiresAt: string }[] }>('/claims', { paths, reason: reason ?? null, ttlMs: ttl_seconds * 1000 });
      return respond(session, `You now claim: ${claims.map((c) => c.pattern).join(', ')}. Release with release_files when done.`, { claims });
    } catch (e) {
      return fail(e);
    }
  });

  mcp.registerTool('release_files', {
    title: 'Release file claims',
    description: 'Release file claims you made with claim_files on the claude-peers network (all of them when no paths are given).',
    inputSchema: { paths: z.array(z.string().min(1).max(4096)).max(200).optional().describe('The claimed paths/globs to release; omit to release all.') },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, async ({ paths }) => {
    try {
      await session.current();
      const r = await session.client.post<{ released: number }>('/claims/release', { paths: paths ?? null });
      return respond(session, `Released ${r.released} claim(s).`, r);
    } catch (e) {
      return fail(e);
    }
  });
}
