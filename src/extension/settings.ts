// The extension's settings, one namespace, keys as constants, read in one place.
import * as vscode from 'vscode';
import type { WakeMode } from '../client/wake-policy.ts';

export type { WakeMode };

export const SECTION = 'claudePeers';

export const Keys = {
  port: 'port',
  enrol: 'enrol.enabled',
  channels: 'channels.enabled',
  conflictPolicy: 'conflicts.policy',
  conflictWindow: 'conflicts.windowMinutes',
  wakePeer: 'wake.peerMessages',
  wakeHuman: 'wake.humanMessages',
  federationUrl: 'federation.url',
  federationNetwork: 'federation.network',
} as const;

/** Where the federation's NATS token is kept: VS Code's SecretStorage, never settings.json (Settings Sync copies that). */
export const FEDERATION_TOKEN_SECRET = 'claudePeers.federation.token';

export type ConflictPolicy = 'off' | 'warn' | 'ask';

export interface Settings {
  port: number;
  enrol: boolean;
  channels: boolean;
  conflictPolicy: ConflictPolicy;
  conflictWindowMinutes: number;
  wakePeer: WakeMode;
  wakeHuman: WakeMode;
  /** Empty: this machine only. */
  federationUrl: string;
  federationNetwork: string;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const port = c.get<number>(Keys.port, 7899);
  return {
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 7899,
    enrol: c.get<boolean>(Keys.enrol, true),
    channels: c.get<boolean>(Keys.channels, false),
    conflictPolicy: c.get<ConflictPolicy>(Keys.conflictPolicy, 'warn'),
    conflictWindowMinutes: Math.max(1, c.get<number>(Keys.conflictWindow, 60)),
    wakePeer: c.get<WakeMode>(Keys.wakePeer, 'ask'),
    wakeHuman: c.get<WakeMode>(Keys.wakeHuman, 'on'),
    federationUrl: (c.get<string>(Keys.federationUrl, '') ?? '').trim(),
    federationNetwork: (c.get<string>(Keys.federationNetwork, '') ?? '').trim(),
  };
}

export function affects(e: vscode.ConfigurationChangeEvent, key: string): boolean {
  return e.affectsConfiguration(`${SECTION}.${key}`);
}
