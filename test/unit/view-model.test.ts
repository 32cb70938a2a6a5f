// The peer panel without a browser: the view model (what is shown) and the HTML rendering
// (escaping). The reducer both sides share is tested in directory-model.test.ts, the protocol and
// the page in panel-protocol.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptySnapshot, type DirectorySnapshot } from '../../src/protocol/directory-model.ts';
import type { PanelContext } from '../../src/protocol/panel.ts';
import type { Message, Peer } from '../../src/protocol/wire.ts';
import { displayPath, FOLD_CHARS, inWorkspace, relativeTo, taskText } from '../../webview/model/format.ts';
import { STREAM_WINDOW } from '../../webview/model/stream.ts';
import { defaultUiState, sanitizeUiState, type UiState } from '../../webview/model/ui-state.ts';
import { renderAll } from '../../webview/render.ts';
import { renderRow } from '../../webview/render/stream.ts';
import { buildView } from '../../webview/view-model.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const WS = '/home/u/proj';
const ctx = (over: Partial<PanelContext> = {}): PanelContext => ({
  workspaceFolders: [WS], home: '/home/u', inTerminal: [], joining: true, muted: [], broker: { role: 'leader', problem: null, port: 7899 }, ...over,
});

function peer(over: Partial<Peer> & { id: string }): Peer {
  return {
    name: over.id, kind: 'peer', host: null, pid: 100, sessionId: null, cwd: WS, gitRoot: WS, branch: 'main', tty: null, summary: null, task: null,
    status: 'idle', terminalId: null, channels: false, files: [], registeredAt: at(3600), lastSeen: at(10), ...over,
  };
}
let nextId = 1;
function msg(over: Partial<Message> = {}): Message {
  return {
    id: over.id ?? nextId++, fromId: 'a', fromName: 'alice', fromKind: 'peer', fromCwd: WS, fromRepo: WS, toId: 'b', toName: 'bob',
    body: 'hello', replyTo: null, broadcast: null, sentAt: at(60), state: 'queued', ...over,
  };
}
function snap(over: Partial<DirectorySnapshot> = {}): DirectorySnapshot {
  return { ...emptySnapshot(), connected: true, ...over };
}
const ui = (over: Partial<UiState> = {}): UiState => ({ ...defaultUiState(), ...over });

describe('paths', () => {
  test('relative to a folder, across separators and Windows drive case', () => {
    assert.equal(relativeTo('/a/b', '/a/b/c/d.ts'), 'c/d.ts');
    assert.equal(relativeTo('/a/b/', '/a/b'), '');
    assert.equal(relativeTo('/a/b', '/a/bc'), null);
    assert.equal(relativeTo('C:\\Work\\x', 'c:\\work\\x\\src\\y.ts'), 'src/y.ts');
  });
  test('display: workspace-relative, then ~, then absolute', () => {
    assert.equal(displayPath('/home/u/proj/src/a.ts', [WS], '/home/u'), 'src/a.ts');
    assert.equal(displayPath(WS, [WS], '/home/u'), 'proj');
    assert.equal(displayPath('/home/u/other/x', [WS], '/home/u'), '~/other/x');
    assert.equal(displayPath('/srv/x', [WS], '/home/u'), '/srv/x');
    assert.equal(displayPath('/w2/src/a.ts', ['/w1', '/w2'], ''), 'w2/src/a.ts', 'multi-root paths name their folder');
  });
  test('in the workspace: below a folder, or at a parent of one', () => {
    assert.equal(inWorkspace('/home/u/proj/sub', [WS]), true);
    assert.equal(inWorkspace('/home/u', [WS]), true);
    assert.equal(inWorkspace('/home/u/other', [WS]), false);
  });
});

describe('peer cards', () => {
  test('no peer at all: the teaching empty state', () => {
    const v = buildView(snap(), ui(), ctx(), NOW);
    assert.deepEqual(v.empty, { elsewhere: 0, joining: true });
    assert.equal(v.groups.length, 0);
    assert.match(renderAll(v), /Open a terminal/);
    assert.match(renderAll(v), /data-action="openTerminal"/);
  });

  test('peers of other workspaces are counted, shown in machine scope, grouped apart', () => {
    const s = snap({ peers: [peer({ id: 'here' }), peer({ id: 'far', cwd: '/home/u/elsewhere', gitRoot: null })] });
    const w = buildView(s, ui(), ctx(), NOW);
    assert.deepEqual(w.groups.map((g) => [g.id, g.cards.map((c) => c.id)]), [['workspace', ['here']]]);
    assert.equal(w.counts.elsewhere, 1);
    assert.equal(w.empty, null);
    const m = buildView(s, ui({ scope: 'machine' }), ctx(), NOW);
    assert.deepEqual(m.groups.map((g) => [g.id, g.cards.map((c) => c.id)]), [['workspace', ['here']], ['elsewhere', ['far']]]);
    assert.equal(m.groups[1].cards[0].cwdLabel, '~/elsewhere');
    const withRepo = buildView(snap({ peers: [peer({ id: 'r', cwd: '/srv/r/pkg', gitRoot: '/srv/r' })] }), ui({ scope: 'machine' }), ctx(), NOW);
    assert.equal(withRepo.groups[0].cards[0].repo, 'r');
    const onlyFar = buildView(snap({ peers: [peer({ id: 'far', cwd: '/srv/x' })] }), ui(), ctx(), NOW);
    assert.deepEqual(onlyFar.empty, { elsewhere: 1, joining: true }, 'the empty state offers the peers elsewhere');
  });

  test('without a workspace every live peer is one group', () => {
    const v = buildView(snap({ peers: [peer({ id: 'x', cwd: '/srv/x' })] }), ui(), ctx({ workspaceFolders: [] }), NOW);
    assert.deepEqual(v.groups.map((g) => g.id), ['all']);
    assert.equal(v.hasWorkspace, false);
  });

  test('a card: status with last seen, cwd, repo and branch, summary over task, files newest first, terminal, unread', () => {
    const p = peer({
      id: 'p1', name: 'amber-fox', status: 'working', lastSeen: at(300), cwd: `${WS}/pkg`, branch: 'feat/x',
      summary: 'Refactoring the store', task: 'fix the tests',
      files: [
        { path: `${WS}/old.ts`, at: at(900), tool: 'Edit' },
        { path: `${WS}/src/new.ts`, at: at(30), tool: 'Write' },
      ],
    });
    const s = snap({ peers: [p], messages: [msg({ fromId: 'p1', fromName: 'amber-fox', toId: 'human', toName: 'human' })] });
    const [c] = buildView(s, ui(), ctx({ inTerminal: ['p1'] }), NOW).groups[0].cards;
    assert.equal(c.statusLabel, 'working · 5m ago');
    assert.equal(c.cwdLabel, 'pkg');
    assert.equal(c.repo, null, 'the repo is the workspace folder: the folder line already says so');
    assert.equal(c.branch, 'feat/x');
    assert.equal(c.task, 'Refactoring the store');
    assert.equal(c.taskIsSummary, true);
    assert.deepEqual(c.files.map((f) => f.label), ['src/new.ts', 'old.ts']);
    assert.equal(c.inTerminal, true);
    assert.equal(c.unread, 1);
  });

  test('long file lists are cut until the card is opened', () => {
    const files = Array.from({ length: 9 }, (_, i) => ({ path: `${WS}/f${i}.ts`, at: at(i * 10), tool: 'Edit' }));
    const s = snap({ peers: [peer({ id: 'p', files })] });
    const closed = buildView(s, ui(), ctx(), NOW).groups[0].cards[0];
    assert.equal(closed.files.length, 5);
    assert.equal(closed.moreFiles, 4);
    assert.equal(buildView(s, ui({ openCards: ['p'] }), ctx(), NOW).groups[0].cards[0].files.length, 9);
  });

  test('gone peers are hidden until asked for, then say when they were last seen', () => {
    const s = snap({ peers: [peer({ id: 'live' }), peer({ id: 'old', status: 'gone', lastSeen: at(7200) })] });
    assert.equal(buildView(s, ui(), ctx(), NOW).groups.flatMap((g) => g.cards).length, 1);
    const v = buildView(s, ui({ showGone: true }), ctx(), NOW);
    const gone = v.groups.find((g) => g.id === 'gone')!.cards[0];
    assert.equal(gone.statusLabel, 'gone · last seen 2h ago');
    assert.equal(v.counts.gone, 1);
  });
});

describe('conflicts', () => {
  const file = `${WS}/src/store.ts`;
  const peers = [
    peer({ id: 'a', name: 'alice', status: 'working', files: [{ path: file, at: at(20), tool: 'Edit' }] }),
    peer({ id: 'b', name: 'bob', files: [{ path: file, at: at(40), tool: 'Edit' }] }),
    peer({ id: 'z', name: 'zed', status: 'gone' }),
  ];
  test('a banner names both live peers and the file; their cards highlight it', () => {
    const s = snap({
      peers,
      conflicts: [{ path: file, peers: [{ id: 'a', name: 'alice', at: at(20), how: 'edit' }, { id: 'b', name: 'bob', at: at(40), how: 'claim' }] }],
    });
    const v = buildView(s, ui(), ctx(), NOW);
    assert.equal(v.conflicts.length, 1);
    assert.equal(v.conflicts[0].text, 'alice (edited) and bob (claimed) are both on src/store.ts');
    assert.equal(v.groups[0].cards.find((c) => c.id === 'a')!.files[0].conflict, true);
    const html = renderAll(v);
    assert.match(html, /data-action="openFile" data-path="\/home\/u\/proj\/src\/store.ts"/);
    assert.match(html, /data-action="messagePeers" data-peers="a,b"/);
  });
  test('no banner when one side is gone', () => {
    const s = snap({
      peers,
      conflicts: [{ path: file, peers: [{ id: 'a', name: 'alice', at: at(20), how: 'edit' }, { id: 'z', name: 'zed', at: at(40), how: 'edit' }] }],
    });
    assert.equal(buildView(s, ui(), ctx(), NOW).conflicts.length, 0);
  });
});

describe('message stream', () => {
  const peers = [peer({ id: 'a', name: 'alice' }), peer({ id: 'b', name: 'bob' }), peer({ id: 'c', name: 'carol' })];

  test('a broadcast is one row with every recipient and the least advanced state', () => {
    const s = snap({
      peers,
      messages: [
        msg({ id: 7, broadcast: 'machine', toId: 'b', toName: 'bob', state: 'read' }),
        msg({ id: 7, broadcast: 'machine', toId: 'c', toName: 'carol', state: 'delivered' }),
      ],
    });
    const [r] = buildView(s, ui(), ctx(), NOW).stream.rows;
    assert.equal(r.toLabel, 'everyone (2)');
    assert.equal(r.state, 'delivered');
    assert.equal(r.stateLabel, '1/2 read');
    assert.deepEqual(r.recipients.map((x) => x.name), ['bob', 'carol']);
  });

  test('threads: a reply shows its parent, the parent counts its replies; human messages stand out', () => {
    const s = snap({
      peers,
      messages: [
        msg({ id: 1, fromId: 'human', fromName: 'human', fromKind: 'human', fromCwd: null, toId: 'a', toName: 'alice', body: 'Can you take the parser?' }),
        msg({ id: 2, fromId: 'a', fromName: 'alice', toId: 'human', toName: 'human', replyTo: 1, body: 'On it' }),
      ],
    });
    const [q, a] = buildView(s, ui(), ctx(), NOW).stream.rows;
    assert.equal(q.human, true);
    assert.equal(q.fromName, 'you');
    assert.equal(q.replies, 1);
    assert.deepEqual(a.replyTo, { id: 1, fromName: 'you', snippet: 'Can you take the parser?', shown: true });
    assert.equal(a.toHuman, true);
    assert.equal(a.unread, true);
    assert.equal(a.canReply, true);
    assert.match(renderRow(a), /class="msg to-human unread is-reply"/);
  });

  test('filter by peer: what it sent and what it was sent', () => {
    const s = snap({
      peers,
      messages: [msg({ fromId: 'a', toId: 'b' }), msg({ fromId: 'b', fromName: 'bob', toId: 'c', toName: 'carol' }), msg({ fromId: 'c', fromName: 'carol', toId: 'a', toName: 'alice' })],
    });
    const v = buildView(s, ui({ messagePeer: 'a' }), ctx(), NOW);
    assert.equal(v.stream.rows.length, 2);
    assert.equal(v.stream.filter?.label, 'alice');
  });

  test('long messages fold until unfolded', () => {
    const long = 'x'.repeat(FOLD_CHARS * 2);
    const s = snap({ peers, messages: [msg({ id: 50, body: long })] });
    const folded = buildView(s, ui(), ctx(), NOW).stream.rows[0];
    assert.equal(folded.folded, true);
    assert.ok(folded.body.length <= FOLD_CHARS + 1);
    assert.equal(buildView(s, ui({ unfolded: [50] }), ctx(), NOW).stream.rows[0].body, long);
  });

  test('a burst of 1,000 messages renders only the newest window, older on request', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => msg({ id: 1000 + i, body: `m${i}` }));
    const s = snap({ peers, messages });
    const v = buildView(s, ui(), ctx(), NOW);
    assert.equal(v.stream.rows.length, STREAM_WINDOW);
    assert.equal(v.stream.olderHidden, 1000 - STREAM_WINDOW);
    assert.equal(v.stream.rows.at(-1)!.body, 'm999');
    assert.equal(buildView(s, ui({ older: STREAM_WINDOW }), ctx(), NOW).stream.rows.length, 2 * STREAM_WINDOW);
  });

  test('peer text is escaped in the HTML', () => {
    const s = snap({ peers, messages: [msg({ body: '<img src=x onerror=alert(1)>', fromName: '"><script>' })] });
    const html = renderAll(buildView(s, ui(), ctx(), NOW));
    assert.doesNotMatch(html, /<img|<script/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });
});

describe('composer, locks, UI state', () => {
  test('recipients: live peers, the machine, this workspace and repos', () => {
    const s = snap({ peers: [peer({ id: 'a', name: 'alice' }), peer({ id: 'f', name: 'far', cwd: '/srv/r/x', gitRoot: '/srv/r' }), peer({ id: 'g', status: 'gone' })] });
    const v = buildView(s, ui({ draft: { to: 'a', toLabel: '', body: '', replyTo: null } }), ctx(), NOW);
    assert.deepEqual(v.recipients.map((o) => o.value), ['a', 'f', 'machine', `under:${WS}`, 'under:/srv/r']);
    assert.equal(v.draft.valid, true);
    assert.equal(buildView(s, ui({ draft: { to: 'g', toLabel: '', body: '', replyTo: null } }), ctx(), NOW).draft.valid, false, 'a gone peer cannot be written to');
    const both = buildView(s, ui({ draft: { to: 'peers:a,f', toLabel: '', body: '', replyTo: null } }), ctx(), NOW);
    assert.equal(both.recipients[0].label, 'alice + far');
    assert.equal(both.draft.valid, true);
  });

  test('locks and claims: holder, age, expiry, stale holders', () => {
    const s = snap({
      peers: [peer({ id: 'a', name: 'alice' })],
      locks: [
        { name: 'git', holder: { id: 'a', name: 'alice', reason: 'rebase', acquiredAt: at(120), expiresAt: new Date(NOW + 600_000).toISOString() }, waiters: [{ id: 'b', name: 'bob', reason: null, since: at(5) }] },
        { name: 'npm', holder: { id: 'x', name: 'ghost', reason: null, acquiredAt: at(7200), expiresAt: new Date(NOW + 60_000).toISOString() }, waiters: [] },
      ],
      claims: [{ peerId: 'a', peerName: 'alice', pattern: `${WS}/src/**`, reason: null, expiresAt: new Date(NOW + 3_600_000).toISOString() }],
    });
    const v = buildView(s, ui(), ctx(), NOW);
    assert.deepEqual(v.locks[0].holder && [v.locks[0].holder.age, v.locks[0].holder.expires, v.locks[0].holder.gone], ['2m ago', 'in 10m', false]);
    assert.deepEqual(v.locks[0].waiters, ['bob']);
    assert.equal(v.locks[1].holder?.gone, true);
    assert.equal(v.claims[0].label, 'src/**');
    assert.match(renderAll(v), /data-action="breakLock" data-lock="npm"/);
  });

  test('saved UI state is sanitised', () => {
    assert.deepEqual(sanitizeUiState(null), defaultUiState());
    const s = sanitizeUiState({ scope: 'machine', unfolded: [1, 'x'], collapsed: ['peers', 'bogus'], older: -3, draft: { to: 5 } });
    assert.equal(s.scope, 'machine');
    assert.deepEqual(s.unfolded, [1]);
    assert.deepEqual(s.collapsed, ['peers']);
    assert.equal(s.older, 0);
    assert.deepEqual(s.draft, { to: '', toLabel: '', body: '', replyTo: null });
  });
});

describe('issue 16: what the human meets', () => {
  const peers = [peer({ id: 'a', name: 'alice', registeredAt: at(300) }), peer({ id: 'b', name: 'bob', registeredAt: at(200) })];
  const human = (over: Partial<Message> = {}) => msg({ fromId: 'a', fromName: 'alice', toId: 'human', toName: 'human', ...over });

  test('cards keep their place: by registration, whatever the status', () => {
    const order = (ps: Peer[]) => buildView(snap({ peers: ps }), ui(), ctx(), NOW).groups[0].cards.map((c) => c.id);
    assert.deepEqual(order(peers), ['a', 'b']);
    assert.deepEqual(order([peer({ ...peers[0], status: 'idle' }), peer({ ...peers[1], status: 'working' })]), ['a', 'b']);
    assert.deepEqual(order([peer({ ...peers[1], status: 'waiting' }), peers[0]]), ['a', 'b'], 'nor by the order the broker lists them');
  });

  test('waiting, native and remote sessions say so; only local sessions outside our terminals can be stopped', () => {
    const s = snap({
      peers: [
        peer({ id: 'w', name: 'wait', status: 'waiting' }),
        peer({ id: 'n', name: 'plain', kind: 'native', summary: null, files: [] }),
        peer({ id: 'r', name: 'far', host: 'devbox' }),
      ],
    });
    const v = buildView(s, ui(), ctx({ inTerminal: ['w'] }), NOW);
    const byId = (id: string) => v.groups.flatMap((g) => g.cards).find((c) => c.id === id)!;
    const [w, n, r] = [byId('w'), byId('n'), byId('r')];
    // A remote peer's folder is on its host: never one of this workspace's, even with the same path.
    assert.ok(v.groups[0].cards.every((c) => c.id !== 'r'), 'the remote peer is not in the workspace group');
    assert.equal(r.inWorkspace, false);
    assert.equal(w.statusLabel, 'waiting for you · now');
    assert.equal(v.counts.waiting, 1);
    assert.deepEqual([w.canStop, n.canStop, r.canStop], [false, true, false]);
    assert.equal(r.host, 'devbox');
    const html = renderAll(v);
    assert.match(html, /Waiting for you/);
    assert.match(html, /data-action="revealTerminal" data-peer="w"[^>]*>Answer in its terminal<span class="sr-only">: wait<\/span>/);
    assert.match(html, /plain Claude Code/);
    assert.match(html, /data-action="stopSession" data-peer="n"/);
    assert.doesNotMatch(html, /data-action="stopSession" data-peer="r"/);
    assert.match(html, />devbox</);
  });

  test('a sender on another host is named with it, and a human there is not you', () => {
    const s = snap({
      peers: [peer({ id: 'a', name: 'alice' })],
      messages: [
        msg({ id: 1, fromId: 'r_b1_x', fromName: 'far', fromHost: 'devbox', toId: 'a', toName: 'alice' }),
        msg({ id: 2, fromId: 'human', fromName: 'human', fromKind: 'human', fromHost: 'laptop', toId: 'a', toName: 'alice' }),
      ],
    });
    const v = buildView(s, ui(), ctx(), NOW);
    const names = v.stream.rows.map((r) => r.fromName);
    assert.deepEqual(names, ['far@devbox', 'human@laptop']);
  });

  test('the terminal link is named after the peer, never a terminal title', () => {
    const v = buildView(snap({ peers: [peer({ id: 'p', name: 'amber-fox' })] }), ui(), ctx({ inTerminal: ['p'] }), NOW);
    assert.match(renderAll(v), /<span>Show terminal<\/span><span class="sr-only"> of amber-fox<\/span>/);
    assert.doesNotMatch(renderAll(v), /claude 2|⠋|✳/);
  });

  test('prompts Claude Code submits on its own are not shown as the task', () => {
    assert.equal(taskText(null, '<task-notification> <task-id>x</task-id>'), null);
    assert.equal(taskText(null, 'Caveat: The messages below were generated by the user while running local commands.'), null);
    assert.deepEqual(taskText(null, 'fix <b> tags in the parser'), { text: 'fix <b> tags in the parser', isSummary: false });
    assert.deepEqual(taskText('  Summary  ', '<x>'), { text: 'Summary', isSummary: true });
    const [c] = buildView(snap({ peers: [peer({ id: 'p', task: '<command-name>/clear</command-name>' })] }), ui(), ctx(), NOW).groups[0].cards;
    assert.equal(c.task, null);
  });

  test('a muted peer: its rows fold to a head line, its unread messages leave the badge, a filter or search shows them', () => {
    const s = snap({ peers, messages: [human({ id: 1, body: 'noise' }), msg({ id: 2, fromId: 'b', fromName: 'bob', toId: 'human', toName: 'human', body: 'signal' })] });
    const v = buildView(s, ui(), ctx({ muted: ['a'] }), NOW);
    assert.deepEqual(v.stream.rows.map((r) => r.muted), [true, false]);
    assert.equal(v.counts.unread, 1, 'only bob counts');
    assert.deepEqual(v.stream.unreadShown, [2], 'a folded row was not shown, so it is not read');
    assert.equal(v.stream.unreadAll, 2);
    assert.equal(v.groups[0].cards[0].muted, true);
    const html = renderRow(v.stream.rows[0]);
    assert.doesNotMatch(html, /noise/);
    assert.match(html, /data-action="reveal" data-id="1"/);
    assert.equal(buildView(s, ui({ revealed: [1] }), ctx({ muted: ['a'] }), NOW).stream.rows[0].muted, false);
    assert.equal(buildView(s, ui({ messagePeer: 'a' }), ctx({ muted: ['a'] }), NOW).stream.rows[0].muted, false);
  });

  test('search: matching rows only, marked, escaped; a long match is unfolded', () => {
    const long = `${'x'.repeat(FOLD_CHARS * 2)} needle <b>`;
    const s = snap({ peers, messages: [msg({ id: 1, body: 'has a Needle in it' }), msg({ id: 2, body: 'nothing' }), msg({ id: 3, body: long })] });
    const v = buildView(s, ui({ search: ' needle ' }), ctx(), NOW);
    assert.deepEqual(v.stream.rows.map((r) => r.id), [1, 3]);
    assert.equal(v.stream.query, 'needle');
    assert.equal(v.stream.rows[1].folded, false);
    const html = renderAll(v);
    assert.match(html, /has a <mark>Needle<\/mark> in it/);
    assert.match(html, /<mark>needle<\/mark> &lt;b&gt;/);
    assert.match(html, /2 messages contain “needle”/);
    const none = buildView(s, ui({ search: '<zz>' }), ctx(), NOW);
    assert.match(renderAll(none), /No message contains “&lt;zz&gt;”/);
  });

  test('the reply count opens the thread: the replies listed under the message', () => {
    const s = snap({ peers, messages: [msg({ id: 1, body: 'question' }), msg({ id: 2, fromId: 'b', fromName: 'bob', toId: 'a', replyTo: 1, body: 'answer one' }), msg({ id: 3, replyTo: 1, body: 'answer two' })] });
    const closed = buildView(s, ui(), ctx(), NOW).stream.rows[0];
    assert.equal(closed.replies, 2);
    assert.equal(closed.thread, null);
    assert.match(renderRow(closed), /<button[^>]*class="link small replies" data-action="thread" data-id="1"[^>]*aria-expanded="false"/);
    const open = buildView(s, ui({ threads: [1] }), ctx(), NOW).stream.rows[0];
    assert.deepEqual(open.thread?.map((t) => [t.id, t.fromName, t.snippet, t.shown]), [[2, 'bob', 'answer one', true], [3, 'alice', 'answer two', true]]);
    assert.match(renderRow(open), /aria-expanded="true"[\s\S]*data-action="jump" data-id="2"/);
  });

  test('unread rows carry data-read for the read tracker; read ones do not', () => {
    const s = snap({ peers, messages: [human({ id: 1 }), human({ id: 2, state: 'read' })] });
    const [u, r] = buildView(s, ui(), ctx(), NOW).stream.rows;
    assert.match(renderRow(u), /data-read="1"/);
    assert.doesNotMatch(renderRow(r), /data-read/);
  });

  test('the composer never falls back: nobody chosen, nobody there, or a chosen peer gone keeps Send off', () => {
    const none = buildView(snap(), ui(), ctx(), NOW);
    assert.equal(none.draft.valid, false);
    assert.match(none.draft.blocked!, /No session to write to yet/);
    assert.equal(none.recipients.find((o) => o.value === 'machine')?.disabled, true);

    const s = snap({ peers: [peers[0], peer({ id: 'g', name: 'gina', status: 'gone' })] });
    const goneChosen = buildView(s, ui({ draft: { to: 'g', toLabel: 'gina', body: 'hi', replyTo: null } }), ctx(), NOW);
    assert.equal(goneChosen.draft.to, 'g', 'the choice is kept, not replaced');
    assert.equal(goneChosen.draft.valid, false);
    assert.equal(goneChosen.recipients[0].label, 'gina (gone)');
    assert.equal(goneChosen.recipients[0].disabled, true);
    assert.match(goneChosen.draft.blocked!, /gina has ended/);

    const forgotten = buildView(snap({ peers: [peers[0]] }), ui({ draft: { to: 'zz', toLabel: 'zed', body: '', replyTo: null } }), ctx(), NOW);
    assert.equal(forgotten.recipients[0].label, 'zed (gone)', 'the name saved with the draft is shown');
    const loading = buildView(snap({ connected: false }), ui({ draft: { to: 'zz', toLabel: 'zed', body: '', replyTo: null } }), ctx(), NOW);
    assert.equal(loading.recipients[0].label, 'zed (connecting)', 'before the picture is loaded nobody is called gone');
    assert.equal(loading.draft.valid, false);

    const html = renderAll(goneChosen);
    assert.match(html, /<option value="" disabled>Choose who gets it…<\/option><optgroup label="Sessions"><option value="g" disabled selected/);
  });

  test('the composer names its recipient and marks a group send', () => {
    const s = snap({ peers });
    const one = buildView(s, ui({ draft: { to: 'a', toLabel: 'alice', body: '', replyTo: null } }), ctx(), NOW);
    assert.deepEqual([one.draft.valid, one.draft.broadcast, one.draft.label, one.draft.blocked], [true, false, 'Message to alice', null]);
    const all = buildView(s, ui({ draft: { to: 'machine', toLabel: '', body: '', replyTo: null } }), ctx(), NOW);
    assert.deepEqual([all.draft.valid, all.draft.broadcast, all.draft.label], [true, true, 'Message to everyone on this machine']);
  });

  test('a blocked broker: the panel shows the reason and the notification\'s actions, no empty state, no "Reconnecting"', () => {
    const problem = 'Port 7899 is taken by another program.';
    const v = buildView(snap({ connected: false }), ui(), ctx({ broker: { role: 'blocked', problem, port: 7899 } }), NOW);
    assert.equal(v.status?.text, problem);
    assert.deepEqual(v.status?.actions.map((a) => a.label), ['Change Port', 'Retry', 'Show Log']);
    assert.equal(v.empty, null);
    const html = renderAll(v);
    assert.match(html, /role="alert"/);
    assert.match(html, /data-action="runAction" data-run="changePort"/);
    assert.doesNotMatch(html, /Reconnecting|Open a terminal|No messages yet/);
    assert.match(v.draft.hint!, /Not connected to the broker/);
  });

  test('the other broker states say what really happens', () => {
    const at_ = (broker: PanelContext['broker'], connected: boolean) => buildView(snap({ connected }), ui(), ctx({ broker }), NOW).status;
    assert.equal(at_({ role: 'leader', problem: null, port: 7899 }, true), null);
    assert.match(at_({ role: 'leader', problem: null, port: 7899 }, false)!.text, /Reconnecting/);
    assert.match(at_({ role: 'starting', problem: null, port: 7899 }, false)!.text, /Starting the broker/);
    assert.match(at_({ role: 'follower', problem: 'The broker (pid 9) is not answering.', port: 7899 }, true)!.text, /not answering\. Taking over/);
  });

  test('with joining turned off the empty state says so instead of promising that claude joins', () => {
    const v = buildView(snap(), ui(), ctx({ joining: false }), NOW);
    assert.deepEqual(v.empty, { elsewhere: 0, joining: false });
    const html = renderAll(v);
    assert.match(html, /turned off/);
    assert.match(html, /data-run="openJoinSetting"/);
    assert.doesNotMatch(html, /joins on its own/);
  });

  test('saved UI state of the new fields is sanitised too', () => {
    const s = sanitizeUiState({ search: 5, threads: [3, -1, 'x'], revealed: [2], draft: { to: 'a', toLabel: 7, replyTo: 0 } });
    assert.equal(s.search, '');
    assert.deepEqual(s.threads, [3]);
    assert.deepEqual(s.revealed, [2]);
    assert.deepEqual(s.draft, { to: 'a', toLabel: '', body: '', replyTo: null });
  });
});
