// How long the peer panel takes to turn 1,000 messages into what it paints: the view model
// (buildView) plus the HTML-string render (renderAll), DOM-free. Also the burst case: 1,000
// message events applied to the webview's mirror (the protocol's reducer) as the one batch they arrive in, then one frame.
// Run: node --import tsx bench/panel-render.bench.ts
import { performance } from 'node:perf_hooks';
import {
  applyChanges, createModel, emptySnapshot, type DirectoryChange, type DirectorySnapshot,
} from '../src/protocol/directory-model.ts';
import type { PanelContext } from '../src/protocol/panel.ts';
import type { Message, Peer } from '../src/protocol/wire.ts';
import { defaultUiState } from '../webview/model/ui-state.ts';
import { renderAll } from '../webview/render.ts';
import { clearRowMemo } from '../webview/render/stream.ts';
import { buildView } from '../webview/view-model.ts';

const MESSAGES = 1000;
const RUNS = 30;
const now = Date.now();
const ws = '/home/dev/project';
const context: PanelContext = {
  workspaceFolders: [ws], home: '/home/dev', inTerminal: ['p0', 'p1'], joining: true, muted: [],
  broker: { role: 'leader', problem: null, port: 7899 },
};

const peers: Peer[] = Array.from({ length: 12 }, (_, i) => ({
  id: `p${i}`, name: `peer-${i}`, kind: 'peer', host: null, pid: 1000 + i, sessionId: null, cwd: i < 8 ? `${ws}/pkg${i}` : `/srv/other${i}`,
  gitRoot: i < 8 ? ws : `/srv/other${i}`, branch: `feature/${i}`, tty: null, summary: i % 2 ? `Working on part ${i}` : null,
  task: `task ${i}`, status: i === 11 ? 'gone' : i % 3 ? 'working' : 'idle', terminalId: null, channels: true,
  files: Array.from({ length: 20 }, (_, f) => ({ path: `${ws}/src/mod${i}/file${f}.ts`, at: new Date(now - f * 60_000).toISOString(), tool: 'Edit' })),
  registeredAt: new Date(now - 3_600_000).toISOString(), lastSeen: new Date(now - i * 1000).toISOString(),
}));

function message(i: number): Message[] {
  const from = peers[i % 11];
  const body = i % 50 === 0 ? `A long report\n${'line of detail\n'.repeat(40)}` : `Message ${i}: please look at src/mod${i % 12}/file${i % 20}.ts before you edit it.`;
  const base = {
    id: i + 1, fromId: from.id, fromName: from.name, fromKind: 'peer' as const, fromCwd: from.cwd, fromRepo: from.gitRoot, body,
    replyTo: i > 3 && i % 4 === 0 ? i - 2 : null, sentAt: new Date(now - (MESSAGES - i) * 1000).toISOString(),
  };
  if (i % 25 === 0) {
    // A broadcast: one id, one row per recipient.
    return peers.slice(0, 5).map((p, k) => ({ ...base, toId: p.id, toName: p.name, broadcast: 'machine' as const, state: k % 2 ? 'read' as const : 'delivered' as const }));
  }
  const to = i % 7 === 0 ? { toId: 'human', toName: 'human' } : { toId: peers[(i + 1) % 11].id, toName: peers[(i + 1) % 11].name };
  return [{ ...base, ...to, broadcast: null, state: i % 3 === 0 ? 'queued' : 'read' }];
}
const messages = Array.from({ length: MESSAGES }, (_, i) => message(i)).flat();
const snapshot: DirectorySnapshot = {
  connected: true, peers, messages, federation: null,
  conflicts: [{ path: `${ws}/src/mod1/file0.ts`, peers: [{ id: 'p1', name: 'peer-1', at: new Date().toISOString(), how: 'edit' }, { id: 'p2', name: 'peer-2', at: new Date().toISOString(), how: 'claim' }] }],
  locks: [{ name: 'git', holder: { id: 'p1', name: 'peer-1', reason: 'rebase', acquiredAt: new Date(now - 60_000).toISOString(), expiresAt: new Date(now + 600_000).toISOString() }, waiters: [] }],
  claims: [{ peerId: 'p2', peerName: 'peer-2', pattern: `${ws}/src/mod2/**`, reason: null, expiresAt: new Date(now + 3_600_000).toISOString() }],
};

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const ui = defaultUiState();
const allUi = { ...ui, scope: 'machine' as const, older: MESSAGES }; // every row rendered: the unwindowed worst case
let htmlBytes = 0;
for (let i = 0; i < 5; i++) renderAll(buildView(snapshot, ui, context, now)); // warm up

// Each phase in its own loop, so one phase's garbage is not collected on another's clock.
const viewMs: number[] = [], renderMs: number[] = [], fullMs: number[] = [], burstMs: number[] = [];
let view = buildView(snapshot, ui, context, now);
for (let r = 0; r < RUNS; r++) viewMs.push(time(() => { view = buildView(snapshot, ui, context, now); }));
// Cold: no row memoised yet (the first frame, or a burst of all-new rows).
for (let r = 0; r < RUNS; r++) { clearRowMemo(); renderMs.push(time(() => { htmlBytes = renderAll(view).length; })); }
// Warm: the rows were painted before (a frame where only a few rows changed).
const warmMs: number[] = [];
for (let r = 0; r < RUNS; r++) warmMs.push(time(() => { renderAll(view); }));
// The burst: an empty-stream mirror gets 1,000 message events as one batch, then one frame.
const changes: DirectoryChange[] = messages.map((m) => ({ kind: 'message', message: m }));
for (let r = 0; r < RUNS; r++) {
  const mirror = createModel({ ...emptySnapshot(), connected: true, peers: peers.slice() });
  clearRowMemo();
  burstMs.push(time(() => { applyChanges(mirror, changes); renderAll(buildView(mirror.snapshot, ui, context, now)); }));
}
for (let r = 0; r < RUNS; r++) { clearRowMemo(); fullMs.push(time(() => { renderAll(buildView(snapshot, allUi, context, now)); })); }

const fmt = (x: number) => x.toFixed(2);
const min = (xs: number[]) => Math.min(...xs);
const line = (label: string, xs: number[], extra = '') => console.log(`  ${label.padEnd(40)} ${fmt(median(xs)).padStart(7)} ms median, ${fmt(min(xs)).padStart(7)} ms best${extra}`);
const frame = viewMs.map((v, i) => v + renderMs[i]);
console.log(`panel-render: ${MESSAGES} messages (${messages.length} delivery rows), ${RUNS} runs each`);
line('view model (buildView)', viewMs);
line('HTML render, windowed, cold', renderMs, `  (${Math.round(htmlBytes / 1024)} KiB)`);
line('HTML render, windowed, rows memoised', warmMs);
line('one frame, cold (view model + render)', frame);
line('burst: 1,000 events applied + one frame', burstMs);
line('every row (no window), cold, for comparison', fullMs);
console.log(JSON.stringify({
  bench: 'panel-render', messages: MESSAGES, rows: messages.length,
  viewModelMs: +fmt(median(viewMs)), renderMs: +fmt(median(renderMs)), renderWarmMs: +fmt(median(warmMs)), frameMs: +fmt(median(frame)),
  frameBestMs: +fmt(min(frame)), burstMs: +fmt(median(burstMs)), unwindowedMs: +fmt(median(fullMs)), htmlKiB: Math.round(htmlBytes / 1024),
}));
