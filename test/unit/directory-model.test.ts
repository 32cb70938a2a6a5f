// The one reducer of the broker's event stream (src/protocol/directory-model.ts), as the webview
// mirror uses it (changes in batches) and as the extension's PeerDirectory uses it (broker events
// one by one): both must end with the same picture.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyChanges, changeOf, createModel, emptySnapshot, MESSAGE_CAP, type DirectoryChange, type DirectorySnapshot,
} from '../../src/protocol/directory-model.ts';
import { PeerDirectory } from '../../src/client/directory.ts';
import type { BrokerClient } from '../../src/client/broker-client.ts';
import type { BrokerEvent, Message, Peer } from '../../src/protocol/wire.ts';

const at = (s: number) => new Date(Date.parse('2026-03-01T12:00:00Z') - s * 1000).toISOString();
function peer(over: Partial<Peer> & { id: string }): Peer {
  return {
    name: over.id, kind: 'peer', host: null, pid: 100, sessionId: null, cwd: '/w', gitRoot: '/w', branch: 'main', tty: null, summary: null, task: null,
    status: 'idle', terminalId: null, channels: false, files: [], registeredAt: at(3600), lastSeen: at(10), ...over,
  };
}
let nextId = 1;
function msg(over: Partial<Message> = {}): Message {
  return {
    id: over.id ?? nextId++, fromId: 'a', fromName: 'alice', fromKind: 'peer', fromCwd: '/w', fromRepo: '/w', toId: 'b', toName: 'bob',
    body: 'hello', replyTo: null, broadcast: null, sentAt: at(60), state: 'queued', ...over,
  };
}
const snap = (over: Partial<DirectorySnapshot> = {}): DirectorySnapshot => ({ ...emptySnapshot(), connected: true, ...over });

describe('the reducer', () => {
  test('applies peers, messages (deduped per recipient), forward-only states, lists', () => {
    const m = createModel(snap());
    applyChanges(m, [
      { kind: 'peer', peer: peer({ id: 'a' }) },
      { kind: 'peer', peer: peer({ id: 'a', status: 'working' }) },
      { kind: 'message', message: msg({ id: 3, toId: 'b' }) },
      { kind: 'message', message: msg({ id: 3, toId: 'b' }) },
      { kind: 'message', message: msg({ id: 3, toId: 'c' }) },
      { kind: 'message_state', ids: [3], toId: 'b', state: 'read' },
      { kind: 'message_state', ids: [3], toId: 'c', state: 'read' },
      { kind: 'message_state', ids: [3], toId: 'b', state: 'delivered' },
      { kind: 'connection', connected: false },
      { kind: 'locks', locks: [{ name: 'git', holder: null, waiters: [] }] },
    ]);
    const s = m.snapshot;
    assert.equal(s.peers.length, 1);
    assert.equal(s.peers[0].status, 'working');
    assert.deepEqual(s.messages.map((x) => [x.toId, x.state]), [['b', 'read'], ['c', 'read']]);
    assert.equal(s.connected, false);
    assert.equal(s.locks.length, 1);
  });

  test('keeps id order and the cap; a reset asks for a snapshot', () => {
    const m = createModel(snap({ messages: [msg({ id: 10 })] }));
    applyChanges(m, [{ kind: 'message', message: msg({ id: 9 }) }]);
    assert.deepEqual(m.snapshot.messages.map((x) => x.id), [9, 10]);
    applyChanges(m, Array.from({ length: MESSAGE_CAP + 5 }, (_, i) => ({ kind: 'message' as const, message: msg({ id: 100 + i }) })));
    assert.equal(m.snapshot.messages.length, MESSAGE_CAP);
    assert.equal(m.snapshot.messages[0].id, 105);
    assert.equal(m.rows.size, MESSAGE_CAP, 'the index forgets trimmed rows');
    assert.equal(applyChanges(m, [{ kind: 'reset' }]).needSnapshot, true);
  });

  test('reports only what changed something', () => {
    const m = createModel(snap({ messages: [msg({ id: 1, toId: 'b', state: 'read' })] }));
    const r = applyChanges(m, [
      { kind: 'message', message: msg({ id: 1, toId: 'b' }) },
      { kind: 'message_state', ids: [1], toId: 'b', state: 'delivered' },
      { kind: 'message_state', ids: [99], toId: 'b', state: 'read' },
      { kind: 'connection', connected: true },
      { kind: 'message', message: msg({ id: 2 }) },
    ]);
    assert.deepEqual(r.applied.map((c) => c.kind), ['message']);
  });

  test('a snapshot taken in is sorted and deduped; the input messages are not mutated', () => {
    const input = msg({ id: 5, state: 'queued' });
    const m = createModel(snap({ messages: [msg({ id: 7 }), input, msg({ id: 5 })], peers: [peer({ id: 'x' }), peer({ id: 'x', name: 'newer' })] }));
    assert.deepEqual(m.snapshot.messages.map((x) => x.id), [5, 7]);
    assert.deepEqual(m.snapshot.peers.map((p) => p.name), ['newer']);
    const event = msg({ id: 8, toId: 'b' });
    applyChanges(m, [{ kind: 'message', message: event }, { kind: 'message_state', ids: [8], toId: 'b', state: 'read' }]);
    assert.equal(event.state, 'queued', 'the reducer keeps its own copy');
  });

  test('broker events map to changes; hello changes nothing', () => {
    assert.equal(changeOf({ type: 'hello', brokerPid: 1, version: 'x' }), null);
    assert.deepEqual(changeOf({ type: 'peer_gone', peer: peer({ id: 'a', status: 'gone' }) }), { kind: 'peer', peer: peer({ id: 'a', status: 'gone' }) });
  });
});

describe('the extension directory and the webview mirror agree', () => {
  const events: BrokerEvent[] = [
    { type: 'peer', peer: peer({ id: 'a' }) },
    { type: 'peer', peer: peer({ id: 'b' }) },
    { type: 'message', message: msg({ id: 21, toId: 'b' }) },
    { type: 'message', message: msg({ id: 20, toId: 'human', toName: 'human' }) },
    { type: 'message', message: msg({ id: 21, toId: 'b' }) },
    { type: 'message_state', ids: [21], toId: 'b', state: 'read' },
    { type: 'message_state', ids: [21], toId: 'b', state: 'delivered' },
    { type: 'peer_gone', peer: peer({ id: 'a', status: 'gone' }) },
    { type: 'conflicts', conflicts: [{ path: '/w/x', peers: [] }] },
    { type: 'hello', brokerPid: 1, version: 'x' },
  ];

  test('the same events give the same picture, and the directory emits only real changes', () => {
    const fakeClient = { subscribe: () => ({ close() {} }) } as unknown as BrokerClient;
    const dir = new PeerDirectory(fakeClient);
    const emitted: DirectoryChange[] = [];
    dir.onChange((c) => emitted.push(c));
    for (const e of events) dir.apply(e);

    const mirror = createModel(emptySnapshot());
    applyChanges(mirror, emitted);
    const fromDir = dir.snapshot();
    assert.deepEqual(mirror.snapshot.messages, fromDir.messages);
    assert.deepEqual(mirror.snapshot.peers, fromDir.peers);
    assert.deepEqual(mirror.snapshot.conflicts, fromDir.conflicts);
    assert.deepEqual(fromDir.messages.map((m) => [m.id, m.state]), [[20, 'queued'], [21, 'read']], 'ordered by id, the state never went back');
    assert.equal(emitted.filter((c) => c.kind === 'message').length, 2, 'the repeated message was not passed on');
    assert.equal(emitted.filter((c) => c.kind === 'message_state').length, 1, 'the backward state was not passed on');
    assert.deepEqual(dir.unreadFor('human').map((m) => m.id), [20]);
    assert.equal(dir.peer('a')?.status, 'gone');
    assert.deepEqual(dir.livePeers().map((p) => p.id), ['b']);
  });
});
