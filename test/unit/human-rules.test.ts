// The extension's rules for the human, without VS Code: whom a message may go to, what can be
// marked read, which sessions may be stopped; the status bar's words; mutes and warned conflicts
// kept across reloads; the renamed "join" setting read with its old key as a fallback.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTarget, stopRefusal, unreadToHuman, isUnder } from '../../src/extension/human-rules.ts';
import { statusText, waitingText } from '../../src/extension/status-text.ts';
import { MutedPeers, SavedDrafts, WarnedConflicts } from '../../src/extension/memory.ts';
import { withLegacy } from '../../src/extension/legacy-settings.ts';
import type { Message, Peer } from '../../src/protocol/wire.ts';

function peer(over: Partial<Peer> & { id: string }): Peer {
  return {
    name: over.id, kind: 'peer', host: null, pid: 4242, sessionId: null, cwd: '/w/app', gitRoot: '/w', branch: 'main', tty: null, summary: null, task: null,
    status: 'idle', terminalId: null, channels: false, files: [], registeredAt: '2026-01-01T00:00:00Z', lastSeen: '2026-01-01T00:00:00Z', ...over,
  };
}
const message = (id: number, toId: string, state: Message['state']): Message => ({
  id, fromId: 'a', fromName: 'a', fromKind: 'peer', fromCwd: null, fromRepo: null, toId, toName: toId, body: 'x', replyTo: null, broadcast: null, sentAt: '', state,
});
function memento() {
  const m = new Map<string, unknown>();
  return { get: <T>(k: string) => m.get(k) as T, update: async (k: string, v: unknown) => { m.set(k, v); } } as never;
}

describe('whom a message may go to', () => {
  const peers = [peer({ id: 'a', cwd: '/w/app' }), peer({ id: 'b', cwd: '/other' }), peer({ id: 'g', status: 'gone' })];
  test('a live peer by id; a gone or unknown one is refused with what to do', () => {
    assert.deepEqual(resolveTarget('a', peers), { kind: 'peer', peer: peers[0] });
    assert.throws(() => resolveTarget('g', peers), /g has ended, so the message was not sent: choose who gets it/);
    assert.throws(() => resolveTarget('nobody', peers), /not known/);
    assert.throws(() => resolveTarget('human', peers), /not known/, 'no other pseudo-recipients through the panel');
  });
  test('groups name who gets them; an empty group is refused instead of sent to nobody', () => {
    const all = resolveTarget('machine', peers);
    assert.equal(all.kind === 'scope' && all.peers.map((p) => p.id).join(), 'a,b');
    const under = resolveTarget('under:/w', peers);
    assert.equal(under.kind === 'scope' && under.label, 'every session in w');
    assert.equal(under.kind === 'scope' && under.peers.length, 1);
    assert.throws(() => resolveTarget('under:/nowhere', peers), /Nobody would get it/);
    assert.throws(() => resolveTarget('machine', [peers[2]]), /no live session on this machine/);
    assert.throws(() => resolveTarget('under:relative', peers), /not a folder/);
    assert.equal(isUnder('/w', '/w'), true);
    assert.equal(isUnder('/w', '/wx'), false);
  });
});

test('only unread messages to the human are marked read', () => {
  const msgs = [message(1, 'human', 'queued'), message(2, 'human', 'read'), message(3, 'b', 'queued'), message(4, 'human', 'delivered')];
  assert.deepEqual(unreadToHuman([1, 2, 3, 99], msgs), [1]);
  assert.deepEqual(unreadToHuman(null, msgs), [1, 4]);
});

describe('stopping a session from the window', () => {
  const alive = { alive: true, commandLine: 'node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js' };
  test('a local session outside our terminals, still running claude', () => {
    assert.equal(stopRefusal(peer({ id: 'a' }), false, alive), null);
    assert.equal(stopRefusal(peer({ id: 'a' }), false, { alive: true, commandLine: null }), null, 'no command line to check (not Linux)');
  });
  test('refused otherwise, with the reason', () => {
    assert.match(stopRefusal(undefined, false, alive)!, /not known/);
    assert.match(stopRefusal(peer({ id: 'a', status: 'gone' }), false, alive)!, /already ended/);
    assert.match(stopRefusal(peer({ id: 'a', host: 'box' }), false, alive)!, /runs on box/);
    assert.match(stopRefusal(peer({ id: 'a' }), true, alive)!, /terminal of this window/);
    assert.match(stopRefusal(peer({ id: 'a', pid: 1 }), false, alive)!, /no process id/);
    assert.match(stopRefusal(peer({ id: 'a' }), false, { alive: false, commandLine: null })!, /no longer running/);
    assert.match(stopRefusal(peer({ id: 'a', kind: 'native' }), false, { alive: true, commandLine: 'vim notes.txt' })!, /no longer runs a's Claude Code/);
  });
});

describe('the status bar', () => {
  const leader = { role: 'leader' as const, problem: null, port: 7899 };
  test('words with the numbers, internals out of the tooltip, a sentence for screen readers', () => {
    const none = statusText({ live: 0, waiting: 0, conflicts: 0 }, leader);
    assert.equal(none.text, '$(organization) No peers');
    assert.equal(none.label, 'Claude Peers: No Claude Code session on the peer network yet. Open the Peers panel.');
    const busy = statusText({ live: 2, waiting: 1, conflicts: 1 }, leader);
    assert.equal(busy.text, '$(organization) 2 peers  $(bell-dot) 1 waiting  $(warning) 1 conflict');
    assert.equal(busy.label, 'Claude Peers: 2 Claude Code sessions on the peer network, 1 waiting for you, 1 file conflict. Open the Peers panel.');
    assert.match(busy.tooltip, /This window runs the broker \(port 7899\)/);
    assert.doesNotMatch(busy.tooltip + busy.label, /sqlite|organization/i);
  });
  test('a federation: its state in the tooltip, "offline" in the text while other hosts are unreachable', () => {
    const fed = { state: 'connected' as const, since: null, url: 'nats://127.0.0.1:4222', network: 'default', broker: 'b1', host: 'laptop', brokers: 1, remotePeers: 2, outbox: 0, problem: null };
    const on = statusText({ live: 3, waiting: 0, conflicts: 0, federation: fed }, leader);
    assert.equal(on.text, '$(organization) 3 peers');
    assert.match(on.tooltip, /Federation: connected to nats:\/\/127\.0\.0\.1:4222 \(network "default"\), 2 peers on 1 other host\./);
    const off = statusText({ live: 1, waiting: 0, conflicts: 0, federation: { ...fed, state: 'disconnected', since: '2026-12-01T10:00:00Z', problem: 'connection refused' } }, leader);
    assert.equal(off.text, '$(organization) 1 peer  $(cloud-offline) offline');
    assert.match(off.label, /other hosts unreachable/);
    assert.match(off.tooltip, /Federation: disconnected since .*\(connection refused\); messages to other hosts wait/);
    assert.doesNotMatch(statusText({ live: 1, waiting: 0, conflicts: 0, federation: { ...fed, state: 'off' } }, leader).tooltip, /Federation/);
  });
  test('blocked: the problem, and what a click does', () => {
    const b = statusText({ live: 0, waiting: 0, conflicts: 0 }, { role: 'blocked', problem: 'Port 7899 is taken.', port: 7899 });
    assert.match(b.tooltip, /Port 7899 is taken\.\nClick to try again/);
  });
  test('the waiting item', () => {
    assert.equal(waitingText([]), null);
    assert.equal(waitingText(['amber'])!.text, '$(bell-dot) amber waits for you');
    assert.equal(waitingText(['a', 'b'])!.label, 'a, b are waiting for you. Go to their terminals.');
  });
});

describe('kept across reloads', () => {
  test('muted peers', async () => {
    const m = new MutedPeers(memento());
    await m.set('a', true);
    await m.set('b', true);
    await m.set('a', false);
    assert.deepEqual(m.list(), ['b']);
    assert.equal(m.has('b'), true);
  });
  test('the composer\'s draft, so a reload does not lose whom the human writes to', async () => {
    const d = new SavedDrafts(memento());
    assert.equal(d.get(), null);
    await d.set({ to: 'p1', toLabel: 'amber', body: '', replyTo: null });
    assert.deepEqual(d.get(), { to: 'p1', toLabel: 'amber', body: '', replyTo: null });
    await d.set({ to: '', toLabel: '', body: '', replyTo: null });
    assert.equal(d.get(), null, 'an empty draft is forgotten');
  });
  test('a conflict is warned about once, again only after it ended and came back', async () => {
    const w = new WarnedConflicts(memento());
    assert.deepEqual(await w.fresh(['x', 'y']), ['x', 'y']);
    assert.deepEqual(await w.fresh(['x', 'y']), [], 'a reload sees the same conflicts: no second warning');
    assert.deepEqual(await w.fresh(['y']), []);
    assert.deepEqual(await w.fresh(['x', 'y']), ['x'], 'x ended and is back: a new conflict');
  });
});

test('the join setting: the new key wins when set, else the old one, else the default', () => {
  assert.equal(withLegacy<boolean>({}, {}, true), true);
  assert.equal(withLegacy<boolean>({}, { globalValue: false }, true), false, 'a user who turned "enrol" off stays off');
  assert.equal(withLegacy<boolean>({ globalValue: true }, { globalValue: false }, true), true);
  assert.equal(withLegacy<boolean>({ workspaceValue: false }, { globalValue: true }, true), false);
  assert.equal(withLegacy<boolean>(undefined, { workspaceFolderValue: false, globalValue: true }, true), false);
});
