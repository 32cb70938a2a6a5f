// What the panel's buttons do: one delegated click listener reads `data-action` (the CSP allows
// no inline handlers). Host requests report failures as a notice; UI changes repaint.
import type { PanelAction } from '../src/protocol/panel.ts';
import { toggled, type SectionId } from './model/ui-state.ts';
import { STREAM_WINDOW } from './model/stream.ts';
import { errorText } from './host.ts';
import type { Panel } from './panel.ts';

export function listenForActions(panel: Panel): void {
  document.addEventListener('click', (e) => {
    const target = (e.target as HTMLElement).closest<HTMLElement>('[data-action]');
    if (!target || (target as HTMLButtonElement).disabled) return;
    if (target.tagName === 'BUTTON') e.preventDefault();
    void act(panel, target);
  });
  panel.el.filter.addEventListener('change', () => {
    panel.ui.messagePeer = panel.el.filter.value || null;
    panel.ui.older = 0;
    panel.saveUi();
    panel.restartStreamAtBottom();
    panel.schedule();
  });
  panel.el.search.addEventListener('input', () => {
    panel.ui.search = panel.el.search.value.slice(0, 200);
    panel.ui.older = 0;
    panel.saveUi();
    panel.restartStreamAtBottom();
    panel.schedule();
  });
}

async function attempt(panel: Panel, fn: () => Promise<unknown>): Promise<void> {
  try { await fn(); } catch (e) { panel.notices.show(errorText(e)); }
}

function change(panel: Panel, fn: () => void): void {
  fn();
  panel.saveUi();
  panel.schedule();
}

async function act(panel: Panel, target: HTMLElement): Promise<void> {
  const d = target.dataset;
  const { ui, host } = panel;
  const peerName = (id: string) => panel.model.snapshot.peers.find((p) => p.id === id)?.name ?? id;
  switch (d.action) {
    case 'openFile':
      return attempt(panel, () => host.request('openFile', { path: d.path! }));
    case 'revealTerminal':
      return attempt(panel, async () => {
        if (!(await host.request('revealTerminal', { peerId: d.peer! }))) panel.notices.show(`${peerName(d.peer!)} does not run in a terminal of this window.`, 'info');
      });
    case 'openTerminal':
      return attempt(panel, () => host.request('openTerminal', {}));
    case 'stopSession':
      return attempt(panel, async () => {
        if (await host.request('stopSession', { peerId: d.peer! })) panel.notices.show(`Asked ${peerName(d.peer!)} to stop.`, 'success');
      });
    case 'mute':
      return attempt(panel, () => host.request('setMuted', { peerId: d.peer!, muted: d.muted !== 'true' }));
    case 'breakLock':
      return attempt(panel, () => host.request('breakLock', { name: d.lock! }));
    case 'runAction':
      return attempt(panel, () => host.request('runAction', { action: d.run as PanelAction }));
    case 'markAllRead':
      return attempt(panel, async () => {
        const { marked } = await host.request('markAllRead', {});
        panel.notices.show(marked ? `Marked ${marked} message${marked === 1 ? '' : 's'} read.` : 'Nothing was unread.', 'success');
      });
    case 'messagePeers': {
      const ids = d.peers!.split(',');
      panel.composer.compose(`peers:${d.peers}`, ids.map(peerName).join(' + '), `You are both working on ${d.path}. Please agree on who changes what before editing it further.`);
      return;
    }
    case 'compose':
      panel.composer.compose(d.peer!, peerName(d.peer!));
      return;
    case 'reply':
      panel.composer.compose(d.peer!, peerName(d.peer!), undefined, Number(d.id));
      return;
    case 'focusComposer':
      panel.composer.focus();
      return;
    case 'clearReply':
      change(panel, () => { ui.draft.replyTo = null; });
      panel.el.body.focus();
      return;
    case 'filterPeer':
      change(panel, () => {
        ui.messagePeer = ui.messagePeer === d.peer ? null : d.peer!;
        ui.older = 0;
        ui.collapsed = ui.collapsed.filter((s) => s !== 'messages');
      });
      panel.restartStreamAtBottom();
      requestAnimationFrame(() => panel.el.filter.scrollIntoView({ block: 'nearest' }));
      return;
    case 'scope':
      change(panel, () => { ui.scope = d.scope === 'machine' ? 'machine' : 'workspace'; });
      return;
    case 'showGone':
      change(panel, () => { ui.showGone = !ui.showGone; });
      return;
    case 'toggleCard':
      change(panel, () => { ui.openCards = toggled(ui.openCards, d.peer!, 50); });
      return;
    case 'fold':
      change(panel, () => { ui.unfolded = toggled(ui.unfolded, Number(d.id)); });
      return;
    case 'reveal':
      change(panel, () => { ui.revealed = toggled(ui.revealed, Number(d.id)); });
      return;
    case 'thread':
      change(panel, () => { ui.threads = toggled(ui.threads, Number(d.id), 100); });
      return;
    case 'older':
      change(panel, () => { ui.older += STREAM_WINDOW; });
      return;
    case 'toBottom':
      panel.follower.toBottom();
      return;
    case 'jump': {
      const row = document.getElementById(`msg-${d.id}`);
      if (!row) return;
      row.scrollIntoView({ block: 'center' });
      row.classList.remove('flash');
      void row.offsetWidth; // restarts the animation
      row.classList.add('flash');
      row.focus({ preventScroll: true });
      return;
    }
    case 'section': {
      const s = d.section as SectionId;
      change(panel, () => { ui.collapsed = toggled(ui.collapsed, s, 3); });
      return;
    }
    case 'dismiss':
      panel.notices.show('');
      return;
  }
}
