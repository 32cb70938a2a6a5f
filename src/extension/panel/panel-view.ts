// The "Peers" sidebar view: one WebviewViewProvider. It serves the webview's HTML (strict CSP,
// fresh nonce), forwards the directory's changes in batches, and answers the webview's requests
// through PanelHost. Nothing is posted before the webview says `ready`; `ready` gets a fresh
// snapshot, the view's visibility, and a focus request that came in before it.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import type { DirectoryChange } from '../../protocol/directory-model.ts';
import {
  parseWebviewMessage, PANEL_PROTOCOL_VERSION, type HostToWebview, type PanelContext, type PanelRequest,
} from '../../protocol/panel.ts';
import type { PanelHost } from './panel-host.ts';
import { panelHtml, panelNonce } from './panel-html.ts';

/** Changes are gathered this long and posted as one batch (a burst of messages is one post). */
const BATCH_MS = 30;

export class PeerPanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'claudePeers.panel';

  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private ready = false;
  private changes: DirectoryChange[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  /** Focus Message Composer ran before the webview was ready. */
  private focusWanted = false;

  constructor(private readonly extensionUri: vscode.Uri, private readonly host: PanelHost) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    const webview = view.webview;
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media'), distUri],
    };
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'panel.js')).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'codicon.css')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'panel.css')).toString(),
      nonce: panelNonce(),
    });
    this.viewDisposables.push(
      webview.onDidReceiveMessage((raw) => this.receive(raw)),
      this.host.onDidChange((c) => this.queueChange(c)),
      this.host.onDidChangeContext(() => this.flushSoon()),
      view.onDidChangeVisibility(() => this.post({ kind: 'visible', visible: view.visible })),
      view.onDidDispose(() => {
        if (this.view === view) { this.disposeView(); this.view = undefined; }
      }),
    );
  }

  /** Puts keyboard focus into the composer (the view must be shown first: its `.focus` command). */
  focusComposer(): void {
    if (this.view && this.ready) this.post({ kind: 'focus', target: 'composer' });
    else this.focusWanted = true;
  }

  dispose(): void {
    this.disposeView();
    this.view = undefined;
  }

  // ---- host → webview

  private post(m: HostToWebview): void {
    if (!this.view || !this.ready) return; // the snapshot sent on `ready` supersedes it
    void this.view.webview.postMessage(m).then(undefined, (e: Error) => this.host.log(`panel: post failed: ${e.message}`));
  }

  private context(): PanelContext {
    const inTerminal = this.host.snapshot().peers.filter((p) => p.status !== 'gone' && this.host.inTerminal(p.id)).map((p) => p.id);
    return {
      workspaceFolders: this.host.workspaceFolders(), home: homedir(), inTerminal,
      broker: this.host.broker(), joining: this.host.joining(), muted: this.host.muted(),
    };
  }

  private postSnapshot(): void {
    this.changes = [];
    this.post({ kind: 'snapshot', snapshot: this.host.snapshot(), context: this.context(), draft: this.host.draft() });
  }

  private queueChange(c: DirectoryChange): void {
    if (!this.view || !this.ready) return; // the snapshot sent on `ready` will include it
    this.changes.push(c);
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.batchTimer) return;
    this.batchTimer = setTimeout(() => { this.batchTimer = undefined; this.flush(); }, BATCH_MS);
  }

  private flush(): void {
    if (!this.view || !this.ready) return;
    const changes = this.changes;
    this.changes = [];
    // A reset (reconnect, new leader) means the picture was reloaded: send it whole.
    if (changes.some((c) => c.kind === 'reset')) this.postSnapshot();
    else this.post({ kind: 'changes', changes, context: this.context() });
  }

  // ---- webview → host

  private receive(raw: unknown): void {
    const m = parseWebviewMessage(raw);
    if (!m) { this.host.log('panel: ignored a malformed message from the webview'); return; }
    if (m.kind === 'ready') {
      if (m.version !== PANEL_PROTOCOL_VERSION) this.host.log(`panel: webview speaks protocol ${m.version}, host ${PANEL_PROTOCOL_VERSION}`);
      this.ready = true;
      this.postSnapshot();
      if (this.view) this.post({ kind: 'visible', visible: this.view.visible });
      if (this.focusWanted) { this.focusWanted = false; this.post({ kind: 'focus', target: 'composer' }); }
      return;
    }
    this.handle(m).then(
      (result) => this.post({ kind: 'response', id: m.id, ok: true, result: result ?? null }),
      (e: unknown) => {
        const error = e instanceof Error ? e.message : String(e);
        this.host.log(`panel: ${m.method} failed: ${error}`);
        this.post({ kind: 'response', id: m.id, ok: false, error });
      },
    );
  }

  private async handle(req: PanelRequest): Promise<unknown> {
    switch (req.method) {
      case 'send':
        return this.host.sendHumanMessage(req.params.to, req.params.body, req.params.replyTo);
      case 'messagePeers':
        return this.host.messagePeers(req.params.peerIds, req.params.body);
      case 'markRead':
        // "Shown" means on screen: a hidden view marks nothing, whatever its page believes.
        return { marked: this.view?.visible ? await this.host.markRead(req.params.ids) : 0 };
      case 'markAllRead':
        return { marked: await this.host.markAllRead() };
      case 'openFile':
        return this.host.openFile(req.params.path);
      case 'revealTerminal':
        return this.host.revealTerminal(req.params.peerId);
      case 'openTerminal':
        return this.host.openTerminal();
      case 'stopSession':
        return this.host.stopSession(req.params.peerId);
      case 'setMuted':
        return this.host.setMuted(req.params.peerId, req.params.muted);
      case 'breakLock':
        return this.host.breakLock(req.params.name);
      case 'runAction':
        return this.host.runAction(req.params.action);
      case 'saveDraft':
        return this.host.saveDraft(req.params);
      case 'resync':
        this.postSnapshot();
        return undefined;
    }
  }

  private disposeView(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.ready = false;
    this.changes = [];
    for (const d of this.viewDisposables.reverse()) d.dispose();
    this.viewDisposables = [];
  }
}
