// The panel's boundary: the host accepts only well-formed webview messages (every request, with
// its parameters checked), the page's strict CSP, and the one HTML escaper.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from '../../src/protocol/html.ts';
import { MAX_READ_IDS, parseWebviewMessage, sentSummary } from '../../src/protocol/panel.ts';
import { panelHtml, panelNonce } from '../../src/extension/panel/panel-html.ts';

const req = (method: string, params: unknown, id = 1) => parseWebviewMessage({ kind: 'request', id, method, params });
const decode = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('protocol', () => {
  test('the host accepts only well-formed webview messages', () => {
    assert.deepEqual(parseWebviewMessage({ kind: 'ready', version: 1 }), { kind: 'ready', version: 1 });
    assert.ok(req('send', { to: 'a', body: 'hi' }));
    assert.equal(req('send', { to: 'a' }), null);
    assert.equal(req('toString', {}), null);
    assert.equal(req('openTerminal', {}, 0), null);
    assert.equal(req('messagePeers', { peerIds: [], body: 'x' }), null);
    assert.equal(parseWebviewMessage('ready'), null);
  });

  test('every new request is checked', () => {
    assert.ok(req('markRead', { ids: [1, 2] }));
    assert.equal(req('markRead', { ids: [] }), null);
    assert.equal(req('markRead', { ids: [1, 0] }), null);
    assert.equal(req('markRead', { ids: ['1'] }), null);
    assert.equal(req('markRead', { ids: Array.from({ length: MAX_READ_IDS + 1 }, (_, i) => i + 1) }), null);
    assert.ok(req('markAllRead', {}));
    assert.ok(req('stopSession', { peerId: 'p1' }));
    assert.equal(req('stopSession', { peerId: 'x'.repeat(65) }), null);
    assert.ok(req('setMuted', { peerId: 'p1', muted: true }));
    assert.equal(req('setMuted', { peerId: 'p1', muted: 'yes' }), null);
    assert.ok(req('runAction', { action: 'changePort' }));
    assert.equal(req('runAction', { action: 'workbench.action.reloadWindow' }), null);
    assert.equal(req('runAction', { action: 'constructor' }), null);
    assert.equal(req('send', [1, 2]), null, 'params must be an object');
    assert.ok(req('saveDraft', { to: '', toLabel: '', body: '', replyTo: null }), 'an empty draft is a draft');
    assert.ok(req('saveDraft', { to: 'p1', toLabel: 'amber', body: 'hi', replyTo: 3 }));
    assert.equal(req('saveDraft', { to: 'p1', toLabel: 'amber', body: 'hi' }), null, 'replyTo is null or an id');
    assert.equal(req('saveDraft', { to: 'p1', toLabel: 'x'.repeat(201), body: '', replyTo: null }), null);
  });

  test('sent confirmations', () => {
    assert.equal(sentSummary(['amber-fox']), 'Sent to amber-fox');
    assert.equal(sentSummary(['a', 'b']), 'Sent to a and b');
    assert.equal(sentSummary(['a', 'b', 'c', 'a']), 'Sent to 3 sessions: a, b and c');
    assert.match(sentSummary([]), /no session/);
  });
});

describe('page', () => {
  test('strict CSP with a fresh nonce on the only script; nothing inline', () => {
    const n1 = panelNonce();
    assert.notEqual(n1, panelNonce());
    const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/panel.js', codiconsUri: 'https://x/codicon.css', styleUri: 'https://x/panel.css', nonce: n1 });
    const csp = decode(/content="([^"]+)"/.exec(html)![1]);
    const n = n1.replace(/[+/=]/g, '\\$&');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${n}'`));
    assert.match(csp, /style-src https:\/\/x\.vscode-cdn\.net;/, 'stylesheets from the extension only');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, new RegExp(`<script nonce="${n}" src="https://x/panel.js">`));
    assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=/);
  });

  test('one escaper for text and quoted attributes', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    assert.equal(escapeHtml(null), '');
    assert.equal(escapeHtml(7), '7');
  });
});
