// Keeps the broker's port out of VS Code's automatic port forwarding. In remote windows (SSH,
// dev containers, WSL, code-server) VS Code forwards every new port it sees listening on the
// remote machine and says "Your application running on port N is available": for the broker, a
// relay for this machine's sessions only, that is noise at every start. Three layers:
//   1. package.json contributes the default "remote.portsAttributes": {"7899": {"onAutoForward":
//      "ignore"}}, which VS Code merges with its own defaults and with the user's settings;
//   2. a port attributes provider for the port actually used, where VS Code lets this extension
//      register one (the API is still the proposal "portsAttributes": it throws for an extension
//      that is not allowed proposals, so it is tried, not assumed);
//   3. for another port, with no provider, one offer per port to add the same entry to the user's
//      settings: written only when the user clicks, never behind their back.
import * as vscode from 'vscode';

export const DEFAULT_BROKER_PORT = 7899;
/** What VS Code's proposal calls PortAutoForwardAction.Ignore. */
const IGNORE = 5;
const LABEL = 'Claude Peers broker';

interface PortAttributesSelector { portRange?: number | [number, number]; commandPattern?: RegExp }
interface PortAttributesProvider {
  providePortAttributes(attributes: { port: number; pid?: number; commandLine?: string } | number, token: vscode.CancellationToken): vscode.ProviderResult<{ autoForwardAction: number }>;
}
type ProposedWorkspace = { registerPortAttributesProvider?: (selector: PortAttributesSelector, provider: PortAttributesProvider) => vscode.Disposable };

/**
 * Registers the provider for `port` when this VS Code lets the extension; returns it, or the
 * reason it could not (for the log).
 */
export function registerPortAttributes(port: number): { disposable: vscode.Disposable } | { reason: string } {
  // Desktop VS Code refuses proposals to extensions from the Marketplace, code-server allows them
  // to all: CLAUDE_PEERS_PORT_ATTRIBUTES=settings makes code-server behave like the desktop (tests).
  if (process.env.CLAUDE_PEERS_PORT_ATTRIBUTES === 'settings') return { reason: 'CLAUDE_PEERS_PORT_ATTRIBUTES=settings' };
  const register = (vscode.workspace as unknown as ProposedWorkspace).registerPortAttributesProvider;
  if (typeof register !== 'function') return { reason: 'this VS Code has no port attributes API' };
  const ignore = (vscode as unknown as { PortAutoForwardAction?: { Ignore?: number } }).PortAutoForwardAction?.Ignore ?? IGNORE;
  try {
    const disposable = register({ portRange: port }, {
      // VS Code passes { port, pid, commandLine }; releases before 1.77 passed the port alone.
      providePortAttributes: (a) => ((typeof a === 'number' ? a : a?.port) === port ? { autoForwardAction: ignore } : undefined),
    });
    return { disposable };
  } catch (e) {
    return { reason: `the port attributes API is a proposal this extension may not use here (${firstLine(e)})` };
  }
}

/** Whether VS Code in this window forwards ports by itself and nothing says to leave `port` alone. */
export function mayBeOfferedForForwarding(port: number): boolean {
  if (vscode.env.remoteName === undefined) return false; // local windows forward nothing by themselves
  const remote = vscode.workspace.getConfiguration('remote');
  if (remote.get<boolean>('autoForwardPorts', true) === false) return false;
  const attrs = remote.get<Record<string, { onAutoForward?: string } | undefined>>('portsAttributes') ?? {};
  return !attrs[String(port)]?.onAutoForward;
}

/**
 * For a port other than the default, in a remote window without the provider: asks once per port
 * whether to add `"remote.portsAttributes": {"<port>": {"onAutoForward": "ignore"}}` to the user's
 * settings, and does so only on the click.
 */
export async function offerToIgnorePort(state: vscode.Memento, port: number, log: vscode.LogOutputChannel): Promise<void> {
  if (port === DEFAULT_BROKER_PORT || !mayBeOfferedForForwarding(port)) return;
  const key = `portForwarding.offered.${port}`;
  if (state.get<boolean>(key)) return;
  await state.update(key, true);
  const button = `Don't Offer Port ${port}`;
  const pick = await vscode.window.showInformationMessage(
    `Claude Peers: the broker listens on port ${port} of this machine, and VS Code may offer to forward it ("Your application running on port ${port} is available"). ` +
      `Sessions reach it on this machine; it needs no forwarding. "${button}" adds "remote.portsAttributes": {"${port}": {"onAutoForward": "ignore"}} to your user settings ` +
      '(a forwarding VS Code already started stays until you stop it in the Ports view).',
    button,
  );
  if (pick !== button) return;
  const remote = vscode.workspace.getConfiguration('remote');
  const mine = remote.inspect<Record<string, unknown>>('portsAttributes')?.globalValue ?? {};
  try {
    await remote.update('portsAttributes', { ...mine, [String(port)]: { label: LABEL, onAutoForward: 'ignore' } }, vscode.ConfigurationTarget.Global);
    log.info(`[ports] Added remote.portsAttributes.${port} = ignore to the user settings, as asked.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Claude Peers: could not change remote.portsAttributes in your user settings (${firstLine(e)}). Add "${port}": {"onAutoForward": "ignore"} to it by hand (Preferences: Open User Settings (JSON)).`);
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/** Everything above for the broker's port; the offer comes from the window that serves it. */
export function keepBrokerPortFromForwarding(
  context: vscode.ExtensionContext, port: number, log: vscode.LogOutputChannel,
  host: { readonly current: { role: string }; onDidChange(fn: (s: { role: string }) => void): { dispose(): void } },
): void {
  const provider = registerPortAttributes(port);
  if ('disposable' in provider) {
    context.subscriptions.push(provider.disposable);
    log.info(`[ports] Port ${port} is never offered for forwarding (a port attributes provider).`);
    return;
  }
  log.info(`[ports] No port attributes provider: ${provider.reason}. Port ${port} is ${port === DEFAULT_BROKER_PORT ? 'kept from forwarding by the contributed default of remote.portsAttributes' : 'not covered by the contributed default (7899 only)'}.`);
  const offer = (role: string) => { if (role === 'leader') void offerToIgnorePort(context.globalState, port, log); };
  offer(host.current.role);
  const sub = host.onDidChange((s) => offer(s.role));
  context.subscriptions.push({ dispose: () => sub.dispose() });
}
