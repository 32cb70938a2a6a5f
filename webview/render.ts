// Turns a PanelView into HTML strings, one per section (and one per stream row, so the DOM layer
// can reuse rows that did not change). Pure string work: no DOM, so the bench and the unit tests
// run it in node. Each section's renderer lives in webview/render/.
import type { PanelView } from './model/view-types.ts';
import { renderOptions, renderRecipients, renderReplyChip } from './render/composer.ts';
import { renderLocks } from './render/locks.ts';
import { renderPeers, renderPeersToolbar } from './render/peers.ts';
import { renderStream, renderStreamHead } from './render/stream.ts';
import { renderBanner, renderStatus } from './render/top.ts';

/** Every section of the panel as one string (for the bench and tests). */
export function renderAll(v: PanelView): string {
  return [
    renderStatus(v), renderBanner(v), renderPeersToolbar(v), renderPeers(v), renderLocks(v),
    renderStreamHead(v), ...renderStream(v).map((r) => r.html),
    renderRecipients(v), renderReplyChip(v), renderOptions(v.stream.filterOptions, v.stream.filter?.value ?? ''),
  ].join('');
}
