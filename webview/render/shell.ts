// The static frame the sections are painted into, built once by main.ts. Top to bottom: a skip
// link, the status line, notices and the conflict banner (always in sight); the sections, where
// the message stream has an area of its own; the composer.
import { icon } from './html.ts';

function section(id: string, title: string, extra: string, body: string): string {
  return `<section class="section" id="sec-${id}" aria-labelledby="${id}-title">`
    + `<header class="section-head"><h2 id="${id}-title"><button type="button" class="twisty" data-action="section" data-section="${id}" data-key="sec:${id}" aria-expanded="true" aria-controls="${id}-body">`
    + `${icon('chevron-down', 'chevron')}<span>${title}</span><span id="${id}-count" class="count-slot"></span></button></h2>`
    + `<span class="spacer"></span>${extra}</header>`
    + `<div class="section-body" id="${id}-body">${body}</div></section>`;
}

export function renderShell(): string {
  return `<h1 class="sr-only">Claude Peers</h1><div id="top">`
    + `<button type="button" class="skip" data-action="focusComposer" data-key="skip">Skip to the message composer</button>`
    + `<div id="status"></div><div id="notice" role="status" aria-live="polite"></div><div id="banner"></div></div>`
    + `<div id="sections">`
    + section('peers', 'Peers', '<div id="peers-toolbar" class="toolbar"></div>',
      `<p id="cards-help" class="sr-only">Up and down arrows move between sessions, Enter writes to one, the right arrow reaches its buttons.</p><div id="peers-list" aria-describedby="cards-help"></div>`)
    + section('locks', 'Locks &amp; claims', '', '<div id="locks-list"></div>')
    + section('messages', 'Messages',
      `<button type="button" class="icon-button" id="mark-all" data-action="markAllRead" data-key="markAllRead" aria-label="Mark all messages to you read" title="Mark all read" hidden>${icon('check-all')}</button>`,
      `<div class="stream-tools">`
      + `<input type="search" id="search" placeholder="Search" aria-label="Search messages" autocomplete="off" spellcheck="false">`
      + `<select id="filter" aria-label="Show messages of"></select></div>`
      + `<div id="stream-head"></div>`
      + `<p id="stream-help" class="sr-only">Up and down arrows move between messages, the right arrow reaches a message's buttons.</p><div id="stream-scroll"><ol id="stream" aria-label="Messages, oldest first" aria-describedby="stream-help"></ol></div>`
      + `<button type="button" id="new-below" class="pill" data-action="toBottom" data-key="toBottom" hidden>${icon('arrow-down')}<span></span></button>`)
    + `</div>`
    + `<form id="composer" aria-label="Write to a session" novalidate>`
    + `<div id="reply-chip" hidden></div>`
    + `<div class="to-row"><label for="to">To</label><select id="to"></select></div>`
    + `<textarea id="body" rows="3" placeholder="Message (Enter sends, Shift+Enter for a new line)" aria-label="Message" aria-describedby="body-help"></textarea>`
    + `<p id="body-help" class="sr-only">Enter sends, Shift+Enter adds a line.</p>`
    + `<div class="composer-foot"><span id="send-error" class="error" role="alert"></span><span id="send-hint" class="hint"></span><span class="spacer"></span>`
    + `<button type="submit" id="send" class="button" data-key="send">${icon('send')}<span>Send</span></button></div>`
    + `</form>`
    + `<div id="announce" class="sr-only" aria-live="polite"></div>`;
}
