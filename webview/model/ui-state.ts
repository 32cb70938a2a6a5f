// The only state the webview owns (the host owns everything else): what the human opened, folded,
// filtered and typed. Saved with vscode.setState and read back through sanitizeUiState, because a
// saved state may come from an older version of the panel.

export type SectionId = 'peers' | 'locks' | 'messages';

export interface Draft {
  /** A peer id, 'machine', 'under:<folder>', 'peers:<id>,<id>' (several peers), or '' (none chosen). */
  to: string;
  /** The recipient's name when it was chosen: still shown when the peer is no longer known. */
  toLabel: string;
  body: string;
  replyTo: number | null;
}

export interface UiState {
  /** Which peers the cards show: those of this workspace, or every peer on the machine. */
  scope: 'workspace' | 'machine';
  showGone: boolean;
  /** Stream filter: a peer id (messages from or to it), 'human' (to or from you), or null (all). */
  messagePeer: string | null;
  /** Stream search: rows whose text contains it (case-insensitive); '' for none. */
  search: string;
  /** Long messages the human unfolded. */
  unfolded: number[];
  /** Messages of muted peers the human opened anyway. */
  revealed: number[];
  /** Messages whose replies are listed under them. */
  threads: number[];
  /** Cards listing all their files. */
  openCards: string[];
  collapsed: SectionId[];
  /** Rows shown above the default window. */
  older: number;
  draft: Draft;
}

export function defaultUiState(): UiState {
  return {
    scope: 'workspace', showGone: false, messagePeer: null, search: '', unfolded: [], revealed: [], threads: [], openCards: [],
    collapsed: [], older: 0, draft: { to: '', toLabel: '', body: '', replyTo: null },
  };
}

const ids = (v: unknown, max: number) => (Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x) && x > 0).slice(-max) : []);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');

/** A UI state read back from vscode.getState (any shape, any older version) made safe. */
export function sanitizeUiState(raw: unknown): UiState {
  const d = defaultUiState();
  if (!raw || typeof raw !== 'object') return d;
  const r = raw as Partial<Record<keyof UiState, unknown>>;
  const draft = (r.draft && typeof r.draft === 'object' ? r.draft : {}) as Partial<Record<keyof Draft, unknown>>;
  return {
    scope: r.scope === 'machine' ? 'machine' : 'workspace',
    showGone: r.showGone === true,
    messagePeer: typeof r.messagePeer === 'string' ? r.messagePeer : null,
    search: str(r.search, 200),
    unfolded: ids(r.unfolded, 200),
    revealed: ids(r.revealed, 200),
    threads: ids(r.threads, 100),
    openCards: strings(r.openCards).slice(-50),
    collapsed: strings(r.collapsed).filter((x): x is SectionId => x === 'peers' || x === 'locks' || x === 'messages'),
    older: Number.isInteger(r.older) && (r.older as number) > 0 ? Math.min(r.older as number, 10_000) : 0,
    draft: {
      to: str(draft.to, 8192),
      toLabel: str(draft.toLabel, 200),
      body: str(draft.body, 64 * 1024),
      replyTo: Number.isInteger(draft.replyTo) && (draft.replyTo as number) > 0 ? (draft.replyTo as number) : null,
    },
  };
}

/** Adds `x` to a list kept as a set, or takes it out; the newest `max` are kept. */
export function toggled<T>(list: readonly T[], x: T, max = 200): T[] {
  return list.includes(x) ? list.filter((y) => y !== x) : [...list, x].slice(-max);
}
