// The VS Code side of Claude Peers: hosts (or follows) the machine's broker, enrols `claude` in
// integrated terminals, and shows the network: status bar, conflict badges and warnings, replies
// to the human, the peer panel. Everything here observes the broker; nothing here is needed for
// sessions to talk to each other.
import * as vscode from 'vscode';
import { BrokerHost, type HostState } from '../broker/host.ts';
import { PeerDirectory } from '../client/directory.ts';
import { loadConfig } from '../common/config.ts';
import { hooksFor, mcpAddLine } from '../common/launch-config.ts';
import { HUMAN_ID, type Conflict, type Message, type Peer, type SendResponse } from '../protocol/wire.ts';
import { ConflictDecorations, conflictKey, describeConflict } from './conflicts.ts';
import { Enrolment } from './enrolment.ts';
import { readSettings, affects, Keys, SECTION, FEDERATION_TOKEN_SECRET, type Settings } from './settings.ts';
import type { FederationOptions } from '../broker/federation/config.ts';
import { TerminalMap } from './terminals.ts';
import { Waker } from './wake.ts';
import { PeerPanelProvider } from './panel/panel-view.ts';
import type { PanelHost } from './panel/panel-host.ts';
import type { DirectoryChange } from '../client/directory.ts';

export const Commands = {
  sendMessage: 'claudePeers.sendMessage',
  revealTerminal: 'claudePeers.revealTerminal',
  copySetup: 'claudePeers.copySetup',
  showLog: 'claudePeers.showLog',
  openPanel: 'claudePeers.openPanel',
  newSession: 'claudePeers.newSession',
  retryBroker: 'claudePeers.retryBroker',
  breakLock: 'claudePeers.breakLock',
  setFederationToken: 'claudePeers.setFederationToken',
} as const;

let host: BrokerHost | undefined;
let directory: PeerDirectory | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<{ host: BrokerHost; directory: PeerDirectory }> {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Claude Peers', { log: true });
  context.subscriptions.push(log);
  let settings = readSettings();
  const config = loadConfig({ ...process.env, CLAUDE_PEERS_PORT: String(settings.port) });

  host = new BrokerHost({
    config,
    log: (l) => log.info(`[host] ${l}`),
    conflictWindowMs: settings.conflictWindowMinutes * 60_000,
    federation: await federationOptions(context, settings, log),
  });
  const state = await host.start();
  log.info(`Activated in ${(performance.now() - t0).toFixed(0)} ms: ${describeRole(state)}.`);
  if (state.role === 'blocked') void showBlocked(state, log);
  context.subscriptions.push({ dispose: () => void host?.stop() });

  directory = new PeerDirectory(host.client, (l) => log.info(`[directory] ${l}`));
  directory.start();
  context.subscriptions.push({ dispose: () => directory?.stop() });
  const dir = directory;

  const enrolment = new Enrolment(context, log);
  enrolment.apply(settings);

  const terminals = new TerminalMap();
  const decorations = new ConflictDecorations();
  const waker = new Waker(dir, terminals, () => settings, log);
  const status = vscode.window.createStatusBarItem('claudePeers.status', vscode.StatusBarAlignment.Left, 50);
  status.name = 'Claude Peers';
  context.subscriptions.push(terminals, decorations, waker, status, vscode.window.registerFileDecorationProvider(decorations));

  const changes = new vscode.EventEmitter<DirectoryChange>();
  context.subscriptions.push(changes);

  const renderStatus = () => {
    const s = host!.current;
    if (s.role === 'blocked') {
      status.text = '$(error) Claude Peers';
      status.tooltip = `${s.problem}\nClick to see the log.`;
      status.command = Commands.showLog;
      status.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else {
      const live = dir.livePeers().length;
      const conflicts = dir.currentConflicts().length;
      const fed = dir.currentFederation();
      const offline = fed?.state === 'disconnected';
      status.text = `$(organization) ${live}${conflicts ? ` $(warning) ${conflicts}` : ''}${offline ? ' $(cloud-offline)' : ''}`;
      const fedLine = !fed || fed.state === 'off' ? ''
        : fed.state === 'connected' ? `\nfederation: connected to ${fed.url} (network "${fed.network}"), ${fed.remotePeers} peer(s) on ${fed.brokers} other host(s)`
        : `\nfederation: disconnected since ${new Date(fed.since ?? Date.now()).toLocaleString()}${fed.problem ? ` (${fed.problem})` : ''}; messages to other hosts wait and go out on reconnect`;
      status.tooltip = `Claude Peers: ${live} live peer${live === 1 ? '' : 's'}, ${conflicts} file conflict${conflicts === 1 ? '' : 's'} (${describeRole(s)}).${fedLine}\nClick to open the Peers panel.`;
      status.command = Commands.openPanel;
      status.backgroundColor = conflicts ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    }
    status.show();
  };
  renderStatus();
  context.subscriptions.push(host.onDidChange((s) => {
    log.info(`Broker role: ${describeRole(s)}.`);
    renderStatus();
  }));

  // Conflicts: warn once per new conflict, in the window whose workspace holds the file.
  const warned = new Set<string>();
  const onConflicts = (list: Conflict[]) => {
    decorations.update(list);
    const live = new Set(list.map(conflictKey));
    for (const k of warned) if (!live.has(k)) warned.delete(k);
    for (const c of list) {
      const k = conflictKey(c);
      if (warned.has(k) || !inWorkspace(c.path)) continue;
      warned.add(k);
      void vscode.window.showWarningMessage(`Claude Peers: ${describeConflict(c)}`, 'Open File', 'Message Both').then(async (pick) => {
        if (pick === 'Open File') await openFile(c.path);
        if (pick === 'Message Both') await sendMessageFlow(dir, log, c.peers.map((p) => p.id), `About ${vscode.workspace.asRelativePath(c.path)}: `);
      });
    }
  };

  // Replies to the human: one notification, in the window running the sender (else the leader).
  const onMessage = (m: Message) => {
    if (m.toId !== HUMAN_ID) return;
    const sender = dir.peer(m.fromId);
    const mine = sender ? terminals.terminalFor(sender) : undefined;
    if (!mine && host!.current.role !== 'leader') return;
    const preview = m.body.length > 200 ? `${m.body.slice(0, 200)}…` : m.body;
    void vscode.window.showInformationMessage(`${m.fromName}: ${preview}`, 'Reply', 'Open Panel').then(async (pick) => {
      if (pick === 'Reply') await sendMessageFlow(dir, log, [m.fromId], '', m.id);
      if (pick === 'Open Panel') await vscode.commands.executeCommand(Commands.openPanel);
    });
  };

  context.subscriptions.push(dir.onChange((c) => {
    changes.fire(c);
    if (c.kind === 'conflicts') onConflicts(c.conflicts);
    if (c.kind === 'reset') {
      onConflicts(dir.currentConflicts());
      decorations.updateClaims(dir.currentClaims());
    }
    if (c.kind === 'claims') decorations.updateClaims(c.claims);
    if (c.kind === 'message') onMessage(c.message);
    if (c.kind !== 'message_state') renderStatus();
  }));

  // ---- the panel ----------------------------------------------------------------------------
  const panelHost: PanelHost = {
    snapshot: () => dir.snapshot(),
    onDidChange: changes.event,
    sendHumanMessage: async (to, body, replyTo) => { await sendHuman(dir, to, body, replyTo); },
    openFile,
    revealTerminal: async (peerId) => {
      const p = dir.peer(peerId);
      const t = p && terminals.terminalFor(p);
      t?.show();
      return !!t;
    },
    terminalName: (peerId) => {
      const p = dir.peer(peerId);
      return p ? terminals.terminalFor(p)?.name : undefined;
    },
    onDidChangeTerminals: terminals.onDidChange,
    openTerminal: () => newSessionTerminal(),
    breakLock: async (name) => {
      await host!.client.post(`/locks/${encodeURIComponent(name)}/release`, { force: true });
      log.info(`The human broke the lock "${name}".`);
    },
    workspaceFolders: () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    log: (l) => log.info(`[panel] ${l}`),
  };
  const panel = new PeerPanelProvider(context.extensionUri, panelHost);
  context.subscriptions.push(panel, vscode.window.registerWebviewViewProvider(PeerPanelProvider.viewType, panel, { webviewOptions: { retainContextWhenHidden: true } }));

  // ---- commands -----------------------------------------------------------------------------
  const reg = (id: string, fn: (...a: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  reg(Commands.showLog, () => log.show());
  reg(Commands.openPanel, () => vscode.commands.executeCommand(`${PeerPanelProvider.viewType}.focus`));
  reg(Commands.newSession, () => newSessionTerminal());
  reg(Commands.retryBroker, async () => {
    await host!.retry();
    const s = host!.current;
    if (s.role === 'blocked') void showBlocked(s, log);
    else void vscode.window.showInformationMessage(`Claude Peers: ${describeRole(s)}.`);
  });
  reg(Commands.sendMessage, (peerId?: string) => sendMessageFlow(dir, log, typeof peerId === 'string' ? [peerId] : undefined));
  reg(Commands.revealTerminal, async (peerId?: string) => {
    const id = typeof peerId === 'string' ? peerId : (await pickPeer(dir, 'Reveal the terminal of which peer?'))?.id;
    const p = id ? dir.peer(id) : undefined;
    if (!p) return;
    const t = terminals.terminalFor(p);
    if (t) t.show();
    else void vscode.window.showInformationMessage(`${p.name} does not run in a terminal of this window (pid ${p.pid}, ${p.cwd}).`);
  });
  reg(Commands.breakLock, async (name?: string) => {
    let lock = typeof name === 'string' ? name : undefined;
    if (!lock) {
      const held = dir.snapshot().locks.filter((l) => l.holder);
      if (!held.length) { void vscode.window.showInformationMessage('Claude Peers: no lock is held.'); return; }
      lock = (await vscode.window.showQuickPick(held.map((l) => ({ label: l.name, description: `held by ${l.holder!.name} since ${new Date(l.holder!.acquiredAt).toLocaleTimeString()}`, detail: l.holder!.reason ?? undefined })), { placeHolder: 'Break which lock?' }))?.label;
    }
    if (lock) await panelHost.breakLock(lock);
  });
  reg(Commands.setFederationToken, async () => {
    const token = await vscode.window.showInputBox({
      title: 'Claude Peers: NATS token for the federation',
      prompt: 'Kept in VS Code\'s secret storage (never in settings.json). Leave empty to remove it. The URL is the "claudePeers.federation.url" setting.',
      password: true, ignoreFocusOut: true,
    });
    if (token === undefined) return;
    if (token.trim()) await context.secrets.store(FEDERATION_TOKEN_SECRET, token.trim());
    else await context.secrets.delete(FEDERATION_TOKEN_SECRET);
    log.info(`The federation token was ${token.trim() ? 'stored in secret storage' : 'removed'}.`);
    const pick = await vscode.window.showInformationMessage('Claude Peers: reload the window for the broker to use it.', 'Reload Window');
    if (pick) await vscode.commands.executeCommand('workbench.action.reloadWindow');
  });
  reg(Commands.copySetup, async () => {
    const rt = enrolment.runtime(settings);
    await vscode.env.clipboard.writeText(mcpAddLine(rt));
    const pick = await vscode.window.showInformationMessage(
      'Copied the "claude mcp add-json" line: run it in a terminal outside VS Code to put every claude session of your user on the peer network. It points at this extension version; copy it again after an update. Hooks (file tracking, delivery while busy) need the settings too.',
      'Show Hooks JSON',
    );
    if (pick) {
      const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(hooksFor(rt), null, 2) });
      await vscode.window.showTextDocument(doc);
    }
  });

  // ---- settings -----------------------------------------------------------------------------
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    settings = readSettings();
    enrolment.apply(settings);
    if (affects(e, Keys.channels) && settings.channels) {
      void vscode.window.showInformationMessage('Claude Peers: real-time channels are on for new claude sessions. Claude Code shows a warning dialog about development channels at every start; confirm it with Enter. Everything works without channels too (hooks deliver messages).');
    }
    if (affects(e, Keys.port) || affects(e, Keys.conflictWindow) || affects(e, Keys.federationUrl) || affects(e, Keys.federationNetwork)) {
      const pick = await vscode.window.showInformationMessage('Claude Peers: reload the window to use the new broker setting.', 'Reload Window');
      if (pick) await vscode.commands.executeCommand('workbench.action.reloadWindow');
    }
  }));

  log.info(`Ready in ${(performance.now() - t0).toFixed(0)} ms.`);
  return { host, directory: dir };
}

export async function deactivate(): Promise<void> {
  directory?.stop();
  await host?.stop();
}

// ---- helpers ----------------------------------------------------------------------------------

/**
 * The federation this window's broker joins: the URL and network from settings, the token from
 * SecretStorage. No URL set: whatever CLAUDE_PEERS_FEDERATION_* say (usually nothing: this machine only).
 */
async function federationOptions(context: vscode.ExtensionContext, s: Settings, log: vscode.LogOutputChannel): Promise<FederationOptions | undefined> {
  if (!s.federationUrl) return undefined;
  let url = s.federationUrl;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(url)) {
    // settings.json travels with Settings Sync: a credential written into the URL is not used.
    url = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
    log.warn('claudePeers.federation.url holds a credential: it was ignored. Remove it from the setting and use "Claude Peers: Set Federation Token".');
    void vscode.window.showWarningMessage('Claude Peers: the federation URL setting holds a credential, which settings.json must not keep (Settings Sync copies it). It was ignored: remove it from the URL and run "Set Federation Token".');
  }
  const token = (await context.secrets.get(FEDERATION_TOKEN_SECRET)) ?? process.env.CLAUDE_PEERS_FEDERATION_TOKEN ?? null;
  return {
    url, network: s.federationNetwork || undefined, token,
    credsFile: process.env.CLAUDE_PEERS_FEDERATION_CREDS ?? null, caFile: process.env.CLAUDE_PEERS_FEDERATION_CA ?? null,
  };
}

function describeRole(s: HostState): string {
  switch (s.role) {
    case 'leader': return `this window serves the broker on 127.0.0.1:${s.port} (${s.driver})`;
    case 'follower': return `using the broker on 127.0.0.1:${s.port}${s.problem ? ` (${s.problem})` : ''}`;
    case 'blocked': return `no broker: ${s.problem}`;
    default: return s.role;
  }
}

async function showBlocked(s: HostState, log: vscode.LogOutputChannel): Promise<void> {
  const pick = await vscode.window.showErrorMessage(`Claude Peers: ${s.problem}`, 'Change Port', 'Retry', 'Show Log');
  if (pick === 'Change Port') await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${Keys.port}`);
  if (pick === 'Retry') await vscode.commands.executeCommand(Commands.retryBroker);
  if (pick === 'Show Log') log.show();
}

function inWorkspace(path: string): boolean {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path)) !== undefined;
}

async function openFile(path: string): Promise<void> {
  await vscode.window.showTextDocument(vscode.Uri.file(path), { preview: false });
}

function newSessionTerminal(): void {
  const t = vscode.window.createTerminal({ name: 'claude' });
  t.show();
  t.sendText('claude', true);
}

async function pickPeer(dir: PeerDirectory, placeHolder: string): Promise<Peer | undefined> {
  const live = dir.livePeers();
  if (!live.length) {
    const pick = await vscode.window.showInformationMessage('Claude Peers: no live peers. Start one by running claude in a terminal.', 'New Claude Terminal');
    if (pick) newSessionTerminal();
    return undefined;
  }
  const item = await vscode.window.showQuickPick(
    live.map((p) => ({ label: p.name, description: `${p.status} · ${vscode.workspace.asRelativePath(p.cwd)}${p.branch ? ` · ${p.branch}` : ''}`, detail: p.summary ?? p.task ?? undefined, peer: p })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return item?.peer;
}

async function sendHuman(dir: PeerDirectory, to: string, body: string, replyTo?: number): Promise<Message[]> {
  const text = body.trim();
  if (!text) throw new Error('The message is empty: type something to send.');
  const r = await dir.brokerClient.post<SendResponse>('/messages', { to, body: text, replyTo, via: 'panel' });
  return r.messages;
}

async function sendMessageFlow(dir: PeerDirectory, log: vscode.LogOutputChannel, peerIds?: string[], prefill = '', replyTo?: number): Promise<void> {
  let ids = peerIds;
  if (!ids?.length) {
    const p = await pickPeer(dir, 'Send a message to which peer?');
    if (!p) return;
    ids = [p.id];
  }
  const names = ids.map((id) => dir.peer(id)?.name ?? id).join(' and ');
  const body = await vscode.window.showInputBox({
    title: `Message to ${names}`,
    prompt: 'Sent as you (the human). The peer sees it framed as a message from the human and can reply; replies show here and in the Peers panel.',
    value: prefill,
    validateInput: (v) => (v.trim() ? undefined : 'Type a message, or press Escape to cancel.'),
  });
  if (!body) return;
  try {
    for (const id of ids) await sendHuman(dir, id, body, replyTo);
    log.info(`Sent a human message to ${names}.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Claude Peers: the message to ${names} was not sent: ${(e as Error).message}`);
  }
}
