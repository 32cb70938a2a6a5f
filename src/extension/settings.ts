// The extension's settings, one namespace, keys as constants, read in one place.
import * as vscode from 'vscode';
import type { WakeMode } from '../client/wake-policy.ts';
import { withLegacy } from './legacy-settings.ts';

export type { WakeMode };

export const SECTION = 'claudePeers';

export const Keys = {
  port: 'port',
  /** Whether `claude` in integrated terminals joins the network. */
  join: 'terminals.joinPeerNetwork',
  /** The key `join` had before 0.2 ("Enrol: Enabled"): still read when only it is set. */
  legacyJoin: 'enrol.enabled',
  nameTerminals: 'terminals.nameAfterPeer',
  channels: 'channels.enabled',
  conflictPolicy: 'conflicts.policy',
  conflictWindow: 'conflicts.windowMinutes',
  wakePeer: 'wake.peerMessages',
  wakeHuman: 'wake.humanMessages',
  notifyMessages: 'notifications.messagesToYou',
  notifyConflicts: 'notifications.conflicts',
  notifyWaiting: 'notifications.waitingForYou',
  federationUrl: 'federation.url',
  federationNetwork: 'federation.network',
} as const;

/** Where the federation's NATS token is kept: VS Code's SecretStorage, never settings.json (Settings Sync copies that). */
export const FEDERATION_TOKEN_SECRET = 'claudePeers.federation.token';

export type ConflictPolicy = 'off' | 'warn' | 'ask';

export interface Settings {
  port: number;
  /** `claude` in this window's terminals joins the peer network (the shim). */
  enrol: boolean;
  nameTerminals: boolean;
  channels: boolean;
  conflictPolicy: ConflictPolicy;
  conflictWindowMinutes: number;
  wakePeer: WakeMode;
  wakeHuman: WakeMode;
  notify: { messages: boolean; conflicts: boolean; waiting: boolean };
  /** Empty: this machine only. */
  federationUrl: string;
  federationNetwork: string;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const port = c.get<number>(Keys.port, 7899);
  return {
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 7899,
    enrol: withLegacy(c.inspect<boolean>(Keys.join), c.inspect<boolean>(Keys.legacyJoin), true) !== false,
    nameTerminals: c.get<boolean>(Keys.nameTerminals, true),
    channels: c.get<boolean>(Keys.channels, false),
    conflictPolicy: c.get<ConflictPolicy>(Keys.conflictPolicy, 'warn'),
    conflictWindowMinutes: Math.max(1, c.get<number>(Keys.conflictWindow, 60)),
    wakePeer: c.get<WakeMode>(Keys.wakePeer, 'ask'),
    wakeHuman: c.get<WakeMode>(Keys.wakeHuman, 'on'),
    notify: {
      messages: c.get<boolean>(Keys.notifyMessages, true),
      conflicts: c.get<boolean>(Keys.notifyConflicts, true),
      waiting: c.get<boolean>(Keys.notifyWaiting, true),
    },
    federationUrl: (c.get<string>(Keys.federationUrl, '') ?? '').trim(),
    federationNetwork: (c.get<string>(Keys.federationNetwork, '') ?? '').trim(),
  };
}

export function affects(e: vscode.ConfigurationChangeEvent, key: string): boolean {
  return e.affectsConfiguration(`${SECTION}.${key}`);
}
