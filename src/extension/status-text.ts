// What the status bar items say, as pure functions (unit-tested in node): words next to the
// numbers ("2 peers", not a bare "2"), a tooltip without internals, and an accessible label that
// reads as a sentence.
import type { BrokerStatus } from '../protocol/panel.ts';
import type { FederationStatus } from '../protocol/wire.ts';

export interface StatusCounts { live: number; waiting: number; conflicts: number; federation?: FederationStatus | null }

export interface StatusText {
  text: string;
  tooltip: string;
  /** accessibilityInformation.label */
  label: string;
}

const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

function where(b: BrokerStatus): string {
  switch (b.role) {
    case 'leader': return `This window runs the broker (port ${b.port}).`;
    case 'follower': return b.problem ? `${b.problem}` : `Another VS Code window or the CLI runs the broker (port ${b.port}).`;
    case 'starting': return 'Starting the broker…';
    default: return '';
  }
}

export function statusText(c: StatusCounts, b: BrokerStatus): StatusText {
  if (b.role === 'blocked') {
    return {
      text: '$(error) Claude Peers',
      tooltip: `Claude Peers: ${b.problem ?? 'no broker'}\nClick to try again or to change the port.`,
      label: `Claude Peers: not working. ${b.problem ?? ''}`.trim(),
    };
  }
  const peers = c.live ? n(c.live, 'peer', 'peers') : 'No peers';
  const parts = [`$(organization) ${peers}`];
  if (c.waiting) parts.push(`$(bell-dot) ${c.waiting} waiting`);
  if (c.conflicts) parts.push(`$(warning) ${n(c.conflicts, 'conflict', 'conflicts')}`);
  const fed = c.federation && c.federation.state !== 'off' ? c.federation : null;
  if (fed?.state === 'disconnected') parts.push('$(cloud-offline) offline');
  const sentence = [
    c.live ? `${n(c.live, 'Claude Code session', 'Claude Code sessions')} on the peer network` : 'No Claude Code session on the peer network yet',
    c.waiting ? `${c.waiting} waiting for you` : '',
    c.conflicts ? n(c.conflicts, 'file conflict', 'file conflicts') : '',
    fed?.state === 'disconnected' ? 'other hosts unreachable' : '',
  ].filter(Boolean).join(', ');
  const fedLine = !fed ? ''
    : fed.state === 'connected' ? `Federation: connected to ${fed.url} (network "${fed.network}"), ${n(fed.remotePeers, 'peer', 'peers')} on ${n(fed.brokers, 'other host', 'other hosts')}.`
    : `Federation: disconnected since ${new Date(fed.since ?? Date.now()).toLocaleString()}${fed.problem ? ` (${fed.problem})` : ''}; messages to other hosts wait and go out on reconnect.`;
  return {
    text: parts.join('  '),
    tooltip: `Claude Peers: ${sentence}.\n${where(b)}\n${fedLine}\nClick to open the Peers panel.`.replace(/\n\n+/g, '\n'),
    label: `Claude Peers: ${sentence}. Open the Peers panel.`,
  };
}

/** The second item, shown while sessions wait for the human: who, and where a click takes you. */
export function waitingText(names: readonly string[]): StatusText | null {
  if (!names.length) return null;
  const who = names.length === 1 ? names[0] : `${names.length} sessions`;
  return {
    text: `$(bell-dot) ${who} ${names.length === 1 ? 'waits' : 'wait'} for you`,
    tooltip: `Waiting for you: ${names.join(', ')}.\nClick to go to ${names.length === 1 ? 'its terminal' : 'one of them'}.`,
    label: `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} waiting for you. Go to ${names.length === 1 ? 'its terminal' : 'their terminals'}.`,
  };
}
