// The status line: what the panel says when it has no working broker, with the same reason and the
// same actions as the extension's notification, and nothing that promises what will not happen.
import type { BrokerStatus } from '../../src/protocol/panel.ts';
import type { StatusLine } from './view-types.ts';

export function statusLine(broker: BrokerStatus, connected: boolean): StatusLine | null {
  switch (broker.role) {
    case 'blocked':
      return {
        tone: 'error', busy: false,
        text: broker.problem ?? `No broker can run on port ${broker.port}.`,
        actions: [
          { action: 'changePort', label: 'Change Port' },
          { action: 'retryBroker', label: 'Retry' },
          { action: 'showLog', label: 'Show Log' },
        ],
      };
    case 'stopped':
      return { tone: 'warning', busy: false, text: 'Claude Peers has stopped in this window.', actions: [{ action: 'retryBroker', label: 'Retry' }] };
    case 'starting':
      return connected ? null : { tone: 'info', busy: true, text: 'Starting the broker…', actions: [] };
    case 'follower':
      if (broker.problem) {
        // The leader does not answer: this window takes over by itself if it stays down.
        return { tone: 'warning', busy: true, text: `${broker.problem} Taking over if it stays down…`, actions: [{ action: 'showLog', label: 'Show Log' }] };
      }
      break;
    case 'leader':
      break;
  }
  if (connected) return null;
  // Leader or follower with the event stream down: the directory reconnects on its own.
  return { tone: 'warning', busy: true, text: `Lost the connection to the broker on port ${broker.port}. Reconnecting…`, actions: [{ action: 'showLog', label: 'Show Log' }] };
}
