// The VS Code side of Claude Peers: hosts (or follows) the machine's broker, enrols `claude` in
// integrated terminals, and shows the network: status bar, conflict badges and warnings, replies
// to the human, the peer panel. Everything here observes the broker; nothing here is needed for
// sessions to talk to each other.
import * as vscode from 'vscode';
import { BrokerHost, type HostState } from '../broker/host.ts';
import { PeerDirectory } from '../client/directory.ts';
import { loadConfig } from '../common/config.ts';
import type { DirectoryChange } from '../protocol/directory-model.ts';
import type { BrokerStatus } from '../protocol/panel.ts';
import { ConflictDecorations } from './conflicts.ts';
import { Enrolment } from './enrolment.ts';
import { HumanDesk, pickPeer } from './human.ts';
import { MutedPeers, SavedDrafts, WarnedConflicts } from './memory.ts';
import { Notifier } from './notifications.ts';
import { stopSession } from './sessions.ts';
import { EnrolmentCheck } from './enrolment-check.ts';
import { keepBrokerPortFromForwarding } from './port-forwarding.ts';
import { copySetup, refreshOutsideSetup } from './outside-setup.ts';
import { readSettings, affects, Keys, SECTION, FEDERATION_TOKEN_SECRET, type Settings } from './settings.ts';
import type { FederationOptions } from '../broker/federation/config.ts';
import { StatusBar } from './status-bar.ts';
import { TerminalNamer } from './terminal-names.ts';
import { TerminalMap } from './terminals.ts';
import { WalkthroughProgress } from './walkthrough.ts';
import { Waker } from './wake.ts';
import { PeerPanelProvider } from './panel/panel-view.ts';
import type { PanelHost } from './panel/panel-host.ts';

export const Commands = {
  sendMessage: 'claudePeers.sendMessage',
  revealTerminal: 'claudePeers.revealTerminal',
  copySetup: 'claudePeers.copySetup',
  showLog: 'claudePeers.showLog',
  openPanel: 'claudePeers.openPanel',
  newSession: 'claudePeers.newSession',
  retryBroker: 'claudePeers.retryBroker',
  breakLock: 'claudePeers.breakLock',
  focusComposer: 'claudePeers.focusComposer',
  markAllRead: 'claudePeers.markAllRead',
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
  keepBrokerPortFromForwarding(context, config.port, log, host);

  directory = new PeerDirectory(host.client, (l) => log.info(`[directory] ${l}`));
  directory.start();
  context.subscriptions.push({ dispose: () => directory?.stop() });
  const dir = directory;

  const enrolment = new Enrolment(context, log);
  enrolment.apply(settings);
  refreshOutsideSetup(config, enrolment.runtime(settings), log);
  context.subscriptions.push(new EnrolmentCheck({
    directory: dir, settings: () => settings, brokerUp: () => host!.current.role === 'leader' || host!.current.role === 'follower',
    binDir: enrolment.binDir, log, copySetupCommand: Commands.copySetup,
  }));

  const terminals = new TerminalMap();
  const decorations = new ConflictDecorations();
  const waker = new Waker(dir, terminals, () => settings, log);
  const desk = new HumanDesk(dir, log);
  const muted = new MutedPeers(context.globalState);
  const drafts = new SavedDrafts(context.workspaceState);
  const namer = new TerminalNamer(dir, terminals, () => settings.nameTerminals, (l) => log.info(`[terminals] ${l}`));
  const bar = new StatusBar(dir, terminals, () => brokerStatus(host!));
  context.subscriptions.push(terminals, decorations, waker, namer, bar, vscode.window.registerFileDecorationProvider(decorations));

  const changes = new vscode.EventEmitter<DirectoryChange>();
  const contextChanged = new vscode.EventEmitter<void>();
  context.subscriptions.push(changes, contextChanged, terminals.onDidChange(() => contextChanged.fire()));

  // A window that becomes blocked later (its leader went away and a foreign program took the
  // port) says so as it did at start, once per problem.
  let toldProblem = state.role === 'blocked' ? state.problem : null;
  // A damaged database was moved aside when this window started the broker: say so, once.
  let toldRecovery: string | null = null;
  const tellRecovery = (s: HostState) => {
    if (s.role !== 'leader' || !s.recovered || s.recovered === toldRecovery) return;
    toldRecovery = s.recovered;
    void vscode.window.showWarningMessage(`Claude Peers: ${s.recovered}`, 'Show Log')
      .then((pick) => { if (pick) log.show(); });
  };
  tellRecovery(state);
  context.subscriptions.push(host.onDidChange((s) => {
    tellRecovery(s);
    log.info(`Broker role: ${describeRole(s)}.`);
    if (s.role === 'blocked' && s.problem !== toldProblem) void showBlocked(s, log);
    toldProblem = s.role === 'blocked' ? s.problem : null;
    bar.render();
    contextChanged.fire();
  }));

  const notifier = new Notifier({
    dir, terminals, desk, muted, warned: new WarnedConflicts(context.workspaceState), settings: () => settings,
    isLeader: () => host!.current.role === 'leader', inWorkspace, openFile, log,
    openPanel: () => vscode.commands.executeCommand(Commands.openPanel),
  });
  const walkthrough = new WalkthroughProgress(dir);
  context.subscriptions.push(walkthrough);

  context.subscriptions.push(dir.onChange((c) => {
    changes.fire(c);
    if (c.kind === 'conflicts') { decorations.update(c.conflicts); notifier.conflicts(c.conflicts); }
    if (c.kind === 'reset') {
      decorations.update(dir.currentConflicts());
      notifier.conflicts(dir.currentConflicts());
      decorations.updateClaims(dir.currentClaims());
      for (const p of dir.livePeers()) notifier.peer(p);
    }
    if (c.kind === 'claims') decorations.updateClaims(c.claims);
    if (c.kind === 'message') notifier.message(c.message);
    if (c.kind === 'peer') notifier.peer(c.peer);
    if (c.kind !== 'message_state' && c.kind !== 'message') bar.render();
  }));

  // ---- the panel ----------------------------------------------------------------------------
  const revealTerminal = async (peerId: string) => {
    const p = dir.peer(peerId);
    const t = p && terminals.terminalFor(p);
    t?.show();
    return !!t;
  };
  const panelHost: PanelHost = {
    snapshot: () => dir.snapshot(),
    onDidChange: changes.event,
    onDidChangeContext: contextChanged.event,
    broker: () => brokerStatus(host!),
    joining: () => settings.enrol,
    muted: () => muted.list(),
    setMuted: async (peerId, on) => {
      await muted.set(peerId, on);
      log.info(`${on ? 'Muted' : 'Unmuted'} ${dir.peer(peerId)?.name ?? peerId}.`);
      contextChanged.fire();
    },
    sendHumanMessage: (to, body, replyTo) => desk.send(to, body, replyTo),
    messagePeers: (peerIds, body) => desk.sendEach(peerIds, body),
    markRead: (ids) => desk.markRead(ids),
    markAllRead: () => desk.markRead(null),
    openFile,
    revealTerminal,
    inTerminal: (peerId) => {
      const p = dir.peer(peerId);
      return !!(p && terminals.terminalFor(p));
    },
    openTerminal: () => newSessionTerminal(),
    stopSession: (peerId) => stopSession(dir, terminals, peerId, log),
    breakLock: async (name) => {
      const lock = dir.currentLocks().find((l) => l.name === name);
      const holder = lock?.holder ? ` held by ${lock.holder.name}` : '';
      const choice = await vscode.window.showWarningMessage(
        `Break the lock "${name}"${holder}?`,
        { modal: true, detail: 'The holder is not asked first. Break a lock only when its holder is stuck or gone.' },
        'Break Lock',
      );
      if (choice !== 'Break Lock') return false;
      await host!.client.post(`/locks/${encodeURIComponent(name)}/release`, { force: true });
      log.info(`The human broke the lock "${name}".`);
      return true;
    },
    runAction: async (action) => {
      switch (action) {
        case 'changePort': await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${Keys.port}`); return;
        case 'retryBroker': await vscode.commands.executeCommand(Commands.retryBroker); return;
        case 'showLog': log.show(); return;
        case 'openJoinSetting': await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${Keys.join}`); return;
      }
    },
    draft: () => drafts.get(),
    saveDraft: async (d) => {
      const before = drafts.get();
      await drafts.set(d);
      if (d.to !== (before?.to ?? '')) log.info(`[panel] The composer writes to ${d.to ? (d.toLabel || d.to) : 'nobody yet'}.`);
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
  reg(Commands.focusComposer, async () => {
    await vscode.commands.executeCommand(`${PeerPanelProvider.viewType}.focus`);
    panel.focusComposer();
  });
  reg(Commands.newSession, () => newSessionTerminal());
  reg(Commands.retryBroker, async () => {
    await host!.retry();
    const s = host!.current;
    if (s.role === 'blocked') void showBlocked(s, log);
    else void vscode.window.showInformationMessage(`Claude Peers: ${describeRole(s)}.`);
  });
  reg(Commands.sendMessage, (peerId?: string) => desk.sendFlow(typeof peerId === 'string' ? [peerId] : undefined));
  reg(Commands.markAllRead, async () => {
    const n = await desk.markRead(null);
    void vscode.window.setStatusBarMessage(`$(check-all) Claude Peers: ${n ? `marked ${n} message${n === 1 ? '' : 's'} read` : 'nothing was unread'}`, 4000);
  });
  reg(Commands.revealTerminal, async (peerId?: string) => {
    const waitingNow = dir.livePeers().filter((p) => p.status === 'waiting');
    const id = typeof peerId === 'string' ? peerId
      : waitingNow.length === 1 ? waitingNow[0].id
        : (await pickPeer(dir, 'Reveal the terminal of which session?', newSessionTerminal))?.id;
    const p = id ? dir.peer(id) : undefined;
    if (!p) return;
    if (await revealTerminal(p.id)) return;
    const stoppable = p.host === null && p.status !== 'gone';
    const pick = await vscode.window.showInformationMessage(
      `${p.name} does not run in a terminal of this window (pid ${p.pid}, ${p.host ? `on ${p.host}, ` : ''}${p.cwd}).`,
      ...(stoppable ? ['Stop Session…'] : []),
    );
    if (pick) await stopSession(dir, terminals, p.id, log).catch((e: Error) => vscode.window.showErrorMessage(`Claude Peers: ${e.message}`));
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
  reg(Commands.copySetup, () => copySetup(config, enrolment.runtime(settings), log));

  // ---- settings -----------------------------------------------------------------------------
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    settings = readSettings();
    enrolment.apply(settings);
    refreshOutsideSetup(config, enrolment.runtime(settings), log);
    contextChanged.fire();
    if (affects(e, Keys.nameTerminals)) void namer.renameActive();
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

/** The broker as the panel and the status bar describe it. */
function brokerStatus(h: BrokerHost): BrokerStatus {
  const s = h.current;
  return { role: s.role, problem: s.problem, port: s.port };
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
