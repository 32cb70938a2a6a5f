// The peer panel's webview script: builds the panel, wires the host's messages and the buttons,
// and says `ready` so the host starts posting.
import { PANEL_PROTOCOL_VERSION, type HostToWebview } from '../src/protocol/panel.ts';
import { listenForActions } from './actions.ts';
import { HostChannel, type VsCodeApi } from './host.ts';
import { Panel } from './panel.ts';

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const host = new HostChannel(vscode);
const panel = new Panel(vscode, host, document.getElementById('app')!);
(window as unknown as { __peersPanel: unknown }).__peersPanel = panel.stats;
listenForActions(panel);

window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  if (e.data && typeof e.data === 'object') panel.receive(e.data);
});

// Relative times ("3m ago") age without any new data: repaint now and then (no host traffic).
setInterval(() => panel.schedule(), 30_000);
panel.schedule();
host.post({ kind: 'ready', version: PANEL_PROTOCOL_VERSION });
