// The peer panel without a browser: the view model (what is shown), the webview's mirror of the
// host's picture, the HTML rendering (escaping), the protocol's validation and the page's CSP.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DirectorySnapshot } from '../../src/client/directory.ts';
import type { PanelContext } from '../../src/protocol/panel.ts';
import { parseWebviewMessage } from '../../src/protocol/panel.ts';
import type { Message, Peer } from '../../src/protocol/wire.ts';
import { panelHtml, panelNonce } from '../../src/extension/panel/panel-html.ts';
import { applyChanges, emptySnapshot, MIRROR_MESSAGE_CAP } from '../../webview/mirror.ts';
import { renderAll, renderRow } from '../../webview/render.ts';
import {
  buildView, defaultUiState, displayPath, FOLD_CHARS, inWorkspace, relativeTo, sanitizeUiState, STREAM_WINDOW, type UiState,
} from '../../webview/view-model.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const WS = '/home/u/proj';
const ctx = (over: Partial<PanelContext> = {}): PanelContext => ({ workspaceFolders: [WS], home: '/home/u', terminals: {}, ...over });

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
    assert.deepEqual(v.empty, { elsewhere: 0 });
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
    assert.deepEqual(onlyFar.empty, { elsewhere: 1 }, 'the empty state offers the peers elsewhere');
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
    const [c] = buildView(s, ui(), ctx({ terminals: { p1: 'claude 2' } }), NOW).groups[0].cards;
    assert.equal(c.statusLabel, 'working · 5m ago');
    assert.equal(c.cwdLabel, 'pkg');
    assert.equal(c.repo, null, 'the repo is the workspace folder: the folder line already says so');
    assert.equal(c.branch, 'feat/x');
    assert.equal(c.task, 'Refactoring the store');
    assert.equal(c.taskIsSummary, true);
    assert.deepEqual(c.files.map((f) => f.label), ['src/new.ts', 'old.ts']);
    assert.equal(c.terminal, 'claude 2');
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
    const v = buildView(s, ui({ draft: { to: 'a', body: '', replyTo: null } }), ctx(), NOW);
    assert.deepEqual(v.recipients.map((o) => o.value), ['a', 'f', 'machine', `under:${WS}`, 'under:/srv/r']);
    assert.equal(v.draft.valid, true);
    assert.equal(buildView(s, ui({ draft: { to: 'g', body: '', replyTo: null } }), ctx(), NOW).draft.valid, false, 'a gone peer cannot be written to');
    const both = buildView(s, ui({ draft: { to: 'peers:a,f', body: '', replyTo: null } }), ctx(), NOW);
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
    assert.deepEqual(s.draft, { to: '', body: '', replyTo: null });
  });
});

describe('the webview mirror', () => {
  test('applies peers, messages (deduped per recipient), forward-only states, lists', () => {
    const s = snap();
    applyChanges(s, [
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
    assert.equal(s.peers.length, 1);
    assert.equal(s.peers[0].status, 'working');
    assert.deepEqual(s.messages.map((m) => [m.toId, m.state]), [['b', 'read'], ['c', 'read']]);
    assert.equal(s.connected, false);
    assert.equal(s.locks.length, 1);
  });
  test('keeps order and the cap; a reset asks for a snapshot', () => {
    const s = snap({ messages: [msg({ id: 10 })] });
    applyChanges(s, [{ kind: 'message', message: msg({ id: 9 }) }]);
    assert.deepEqual(s.messages.map((m) => m.id), [9, 10]);
    applyChanges(s, Array.from({ length: MIRROR_MESSAGE_CAP + 5 }, (_, i) => ({ kind: 'message' as const, message: msg({ id: 100 + i }) })));
    assert.equal(s.messages.length, MIRROR_MESSAGE_CAP);
    assert.equal(s.messages[0].id, 105);
    assert.equal(applyChanges(s, [{ kind: 'reset' }]).needSnapshot, true);
  });
});

describe('protocol and page', () => {
  test('the host accepts only well-formed webview messages', () => {
    assert.deepEqual(parseWebviewMessage({ kind: 'ready', version: 1 }), { kind: 'ready', version: 1 });
    assert.ok(parseWebviewMessage({ kind: 'request', id: 1, method: 'send', params: { to: 'a', body: 'hi' } }));
    assert.equal(parseWebviewMessage({ kind: 'request', id: 1, method: 'send', params: { to: 'a' } }), null);
    assert.equal(parseWebviewMessage({ kind: 'request', id: 1, method: 'toString', params: {} }), null);
    assert.equal(parseWebviewMessage({ kind: 'request', id: 0, method: 'openTerminal', params: {} }), null);
    assert.equal(parseWebviewMessage({ kind: 'request', id: 2, method: 'messagePeers', params: { peerIds: [], body: 'x' } }), null);
    assert.equal(parseWebviewMessage('ready'), null);
  });
  test('strict CSP with a fresh nonce on the only script; nothing inline', () => {
    const n1 = panelNonce();
    assert.notEqual(n1, panelNonce());
    const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/panel.js', codiconsUri: 'https://x/codicon.css', styleUri: 'https://x/panel.css', nonce: n1 });
    const csp = /content="([^"]+)"/.exec(html)![1];
    assert.match(csp, /^default-src 'none'; /);
    assert.match(html, new RegExp(`<meta property="csp-nonce" content="${n1.replace(/[+/=]/g, '\\$&')}">`), 'the toolkit finds the nonce for its one <style>');
    assert.match(csp, new RegExp(`script-src 'nonce-${n1.replace(/[+/=]/g, '\\$&')}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, new RegExp(`<script nonce="${n1.replace(/[+/=]/g, '\\$&')}" src="https://x/panel.js">`));
    assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=/);
  });
});
