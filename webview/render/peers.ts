// The Peers section: the scope toolbar, the empty state, and a card per session.
import type { PanelView, PeerCard, PeerGroup } from '../model/view-types.ts';
import { badge, button, esc, icon, iconButton, srOnly } from './html.ts';

export function renderPeersToolbar(v: PanelView): string {
  const scope = v.hasWorkspace
    ? `<div class="segmented" role="group" aria-label="Which peers">`
      + `<button type="button" data-action="scope" data-scope="workspace" data-key="scope:workspace" aria-pressed="${v.scope === 'workspace'}">Workspace</button>`
      + `<button type="button" data-action="scope" data-scope="machine" data-key="scope:machine" aria-pressed="${v.scope === 'machine'}">Machine${v.counts.elsewhere ? ` <span class="count">+${v.counts.elsewhere}</span>` : ''}</button>`
      + `</div>`
    : '';
  const gone = v.counts.gone
    ? `<button type="button" class="toggle" data-action="showGone" data-key="showGone" aria-pressed="${v.showGone}" title="Show peers that have ended">${icon(v.showGone ? 'eye' : 'eye-closed')}<span>${v.counts.gone} gone</span></button>`
    : '';
  return scope + gone;
}

export function renderPeers(v: PanelView): string {
  let html = '';
  if (v.empty) html += renderEmpty(v);
  for (const g of v.groups) html += renderGroup(g, v.groups.length > 1 || g.id !== 'workspace');
  return html;
}

function renderEmpty(v: PanelView): string {
  const e = v.empty!;
  const title = e.elsewhere ? 'No Claude Code session in this workspace' : 'No Claude Code session yet';
  const scope = e.elsewhere
    ? `<p><button type="button" class="link" data-action="scope" data-scope="machine" data-key="empty-scope">Show the ${e.elsewhere} peer${e.elsewhere === 1 ? '' : 's'} elsewhere on this machine</button></p>`
    : '';
  if (!e.joining) {
    return `<div class="empty">`
      + `<div class="empty-icon">${icon('organization')}</div>`
      + `<h3>${title}</h3>`
      + `<p>Joining the peer network is turned off for this window: <code>claude</code> in its terminals runs on its own, without Claude Peers. Sessions started elsewhere with Claude Peers still show up here.</p>`
      + button('runAction', 'Turn joining on in Settings', { icon: 'settings-gear', data: { run: 'openJoinSetting' }, key: 'openJoinSetting' })
      + scope
      + `</div>`;
  }
  return `<div class="empty">`
    + `<div class="empty-icon">${icon('organization')}</div>`
    + `<h3>${title}</h3>`
    + `<p>A <code>claude</code> session started in a terminal of this window joins on its own and shows up here: what it works on, the files it edits, its messages.</p>`
    + `<ol class="steps"><li>Open a terminal.</li><li>Run <code>claude</code>.</li><li>Start a second one: they can now find and message each other, and you can write to them below.</li></ol>`
    + button('openTerminal', 'Open a terminal', { icon: 'terminal', key: 'openTerminal' })
    + scope
    + `</div>`;
}

function renderGroup(g: PeerGroup, titled: boolean): string {
  const head = titled ? `<h3 class="group-title">${esc(g.label)} <span class="count">${g.cards.length}</span></h3>` : '';
  return `<div class="group group-${g.id}">${head}<div class="cards" aria-label="${esc(g.label)}" role="group">${g.cards.map(renderCard).join('')}</div></div>`;
}

export function renderCard(c: PeerCard): string {
  const k = (s: string) => `${s}:${c.id}`;
  const dom = esc(c.id);
  const live = c.status !== 'gone';
  const actions = [
    live ? iconButton('compose', `Message ${c.name}`, 'comment', { peer: c.id }, k('compose')) : '',
    iconButton('filterPeer', `Show messages of ${c.name}`, 'filter', { peer: c.id }, k('filter')),
    iconButton('mute', c.muted ? `Unmute ${c.name}` : `Mute ${c.name}: fold its messages, no notifications`, c.muted ? 'bell-slash' : 'bell', { peer: c.id, muted: String(c.muted) }, k('mute'), ` aria-pressed="${c.muted}"`),
  ].join('');
  const tags: string[] = [];
  if (c.kind === 'native') tags.push(`<span class="tag" title="A Claude Code session without Claude Peers: it can get your messages, but shares no summary or files.">plain Claude Code</span>`);
  if (c.muted) tags.push(`<span class="tag">muted</span>`);
  const waiting = c.status === 'waiting'
    ? `<p class="waiting">${icon('bell-dot')}<strong>Waiting for you</strong>`
      + (c.inTerminal ? `<button type="button" class="link" data-action="revealTerminal" data-peer="${dom}" data-key="${esc(k('waiting'))}">Answer in its terminal${srOnly(`: ${c.name}`)}</button>` : '<span class="muted-text">in a terminal outside this window</span>')
      + `</p>`
    : '';
  const facts: string[] = [];
  facts.push(`<li title="${esc(c.cwd)}">${icon('folder')}<span class="path">${esc(c.cwdLabel || '.')}</span></li>`);
  if (c.repo || c.branch) facts.push(`<li>${icon('git-branch')}<span>${esc([c.repo, c.branch].filter(Boolean).join(' · '))}</span></li>`);
  if (c.host) facts.push(`<li title="${esc(`Runs on ${c.host}`)}">${icon('remote')}<span>${esc(c.host)}</span></li>`);
  if (live && c.inTerminal) {
    facts.push(`<li><button type="button" class="link" data-action="revealTerminal" data-peer="${dom}" data-key="${esc(k('terminal'))}">${icon('terminal')}<span>Show terminal</span>${srOnly(` of ${c.name}`)}</button></li>`);
  } else if (c.canStop) {
    facts.push(`<li><button type="button" class="link" data-action="stopSession" data-peer="${dom}" data-key="${esc(k('stop'))}" title="It runs outside this window's terminals">${icon('debug-stop')}<span>Stop session…</span>${srOnly(` ${c.name}, which runs outside this window's terminals`)}</button></li>`);
  }
  const task = c.task
    ? `<p class="task" title="${esc(c.taskIsSummary ? 'Summary set by the session' : 'Its last prompt')}">${icon(c.taskIsSummary ? 'comment-discussion' : 'edit')}<span>${esc(c.task)}</span></p>`
    : '';
  const files = c.files.length
    ? `<ul class="files" aria-label="${esc(`Files ${c.name} edited, most recent first`)}">${c.files.map((f) => `<li><button type="button" class="file${f.conflict ? ' conflict' : ''}" data-action="openFile" data-path="${esc(f.path)}" data-key="${esc(`file:${c.id}:${f.path}`)}" title="${esc(`${f.path}\n${f.tool} ${f.ago}${f.conflict ? '\nanother peer is on this file too' : ''}`)}">${icon(f.conflict ? 'warning' : 'file')}${srOnly('Open ')}<span class="path">${esc(f.label)}</span>${srOnly(f.conflict ? ', in a conflict, edited' : ', edited')}<span class="ago">${esc(f.ago)}</span></button></li>`).join('')}</ul>`
    : '';
  const more = c.moreFiles > 0 || c.open
    ? `<button type="button" class="link small" data-action="toggleCard" data-peer="${dom}" data-key="${esc(k('more'))}" aria-expanded="${c.open}">${c.open ? 'Fewer files' : `${c.moreFiles} more file${c.moreFiles === 1 ? '' : 's'}`}</button>`
    : '';
  const cls = ['card', `status-${c.status}`, `kind-${c.kind}`, c.conflicts ? 'has-conflict' : '', c.muted ? 'is-muted' : ''].filter(Boolean).join(' ');
  const conflictNote = c.conflicts ? `<span class="sr-only">, ${c.conflicts} conflicting file${c.conflicts === 1 ? '' : 's'}</span>` : '';
  return `<article class="${cls}" data-key="${esc(k('peer'))}" data-peer="${dom}" data-item tabindex="-1" aria-labelledby="${esc(k('n'))}" aria-describedby="${esc(k('s'))}">`
    + `<header class="card-head"><span class="dot" aria-hidden="true"></span><h3 class="name" id="${esc(k('n'))}">${esc(c.name)}</h3>`
    + badge(c.unread, `${c.unread} unread from ${c.name}`, 'unread')
    + `<span class="spacer"></span>${actions}</header>`
    + waiting
    + `<p class="status" id="${esc(k('s'))}" title="${esc(`last seen ${c.lastSeen}`)}"><span>${esc(c.statusLabel)}</span>${conflictNote}${tags.join('')}</p>`
    + task
    + `<ul class="facts">${facts.join('')}</ul>`
    + files + more
    + `</article>`;
}
