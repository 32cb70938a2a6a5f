// What the extension remembers across reloads: the peers the human muted (in the extension's
// globalState: a noisy session stays muted in every window), the conflicts it already warned
// about and the composer's draft (in workspaceState: a reload neither warns about the same
// conflict again nor forgets whom the human was writing to). Only the Memento's get/update are
// used, so tests pass a Map-backed one.
import type * as vscode from 'vscode';
import type { SavedDraft } from '../protocol/panel.ts';

type Memento = Pick<vscode.Memento, 'get' | 'update'>;

const MUTED_KEY = 'claudePeers.mutedPeers';
const WARNED_KEY = 'claudePeers.warnedConflicts';
const DRAFT_KEY = 'claudePeers.draft';
const MAX_MUTED = 200;
const MAX_WARNED = 500;

export class MutedPeers {
  constructor(private readonly store: Memento) {}

  list(): string[] {
    const v = this.store.get<unknown>(MUTED_KEY);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  has(peerId: string): boolean {
    return this.list().includes(peerId);
  }

  async set(peerId: string, muted: boolean): Promise<void> {
    const rest = this.list().filter((id) => id !== peerId);
    await this.store.update(MUTED_KEY, (muted ? [...rest, peerId] : rest).slice(-MAX_MUTED));
  }
}

export class WarnedConflicts {
  constructor(private readonly store: Memento) {}

  private keys(): string[] {
    const v = this.store.get<unknown>(WARNED_KEY);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  /**
   * Of the conflicts live now (by key), those not warned about yet; remembers them as warned and
   * forgets the ones that ended (a conflict that comes back later is new again).
   */
  async fresh(live: readonly string[]): Promise<string[]> {
    const before = new Set(this.keys());
    const now = new Set(live);
    const news = live.filter((k) => !before.has(k));
    const kept = [...before].filter((k) => now.has(k));
    if (news.length || kept.length !== before.size) await this.store.update(WARNED_KEY, [...kept, ...news].slice(-MAX_WARNED));
    return news;
  }
}

export class SavedDrafts {
  constructor(private readonly store: Memento) {}

  get(): SavedDraft | null {
    const v = this.store.get<Partial<SavedDraft>>(DRAFT_KEY);
    if (!v || typeof v !== 'object' || typeof v.to !== 'string' || typeof v.body !== 'string') return null;
    return { to: v.to, toLabel: typeof v.toLabel === 'string' ? v.toLabel : '', body: v.body, replyTo: Number.isInteger(v.replyTo) ? v.replyTo! : null };
  }

  async set(d: SavedDraft): Promise<void> {
    await this.store.update(DRAFT_KEY, d.to || d.body ? d : undefined);
  }
}
