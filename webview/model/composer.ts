// The composer: who can be written to, and whether the chosen recipient can get a message now.
// A recipient is only ever what the human chose: when it is gone the composer says so and waits
// for a new choice; it never falls back to another peer or to everyone.
import type { PanelContext } from '../../src/protocol/panel.ts';
import type { Message, Peer } from '../../src/protocol/wire.ts';
import { base, displayPath, norm, relativeTo, snippet } from './format.ts';
import type { UiState } from './ui-state.ts';
import type { DraftView, Option } from './view-types.ts';

export const SESSIONS_GROUP = 'Sessions';
export const EVERYONE_GROUP = 'Everyone';

export const isScope = (to: string): boolean => to === 'machine' || to.startsWith('under:');

/** Live peers working in `dir` or below it. */
export function peersUnder(dir: string, live: readonly Peer[]): Peer[] {
  return live.filter((p) => relativeTo(dir, p.cwd) !== null);
}

export interface ComposerInput {
  ui: UiState;
  context: PanelContext;
  live: readonly Peer[];
  peersById: ReadonlyMap<string, Peer>;
  byId: ReadonlyMap<number, Message[]>;
  /** The picture has been loaded at least once (before that nothing is known to be gone). */
  loaded: boolean;
}

export function composer(i: ComposerInput): { recipients: Option[]; draft: DraftView } {
  const folders = i.context.workspaceFolders;
  const draftTo = i.ui.draft.to;
  const options: Option[] = [];
  const peerOption = (p: Peer): Option => {
    const where = [p.host, p.gitRoot ? base(p.gitRoot) : displayPath(p.cwd, folders, i.context.home), p.branch].filter(Boolean).join(' · ');
    const what = p.kind === 'native' ? 'Claude Code without Claude Peers' : p.status === 'waiting' ? 'waiting for you' : '';
    return { value: p.id, label: p.name, detail: [where, what].filter(Boolean).join(' · '), group: SESSIONS_GROUP };
  };
  const names = (ids: string[]) => ids.map((id) => i.peersById.get(id)?.name ?? id);

  if (draftTo.startsWith('peers:')) {
    const ids = draftTo.slice('peers:'.length).split(',').filter(Boolean);
    options.push({ value: draftTo, label: names(ids).join(' + '), detail: 'each of them', group: SESSIONS_GROUP });
  }
  for (const p of i.live.slice().sort((a, b) => a.name.localeCompare(b.name))) options.push(peerOption(p));
  options.push({ value: 'machine', label: `Everyone on this machine (${i.live.length})`, disabled: i.live.length === 0, group: EVERYONE_GROUP });
  const scopes = new Map<string, string>();
  for (const f of folders) scopes.set(f, `Everyone in ${base(f)}`);
  for (const p of i.live) if (p.gitRoot && ![...scopes.keys()].some((k) => norm(k) === norm(p.gitRoot!))) scopes.set(p.gitRoot, `Everyone in repo ${base(p.gitRoot)}`);
  for (const [dir, label] of scopes) {
    const n = peersUnder(dir, i.live).length;
    options.push({ value: `under:${dir}`, label: `${label} (${n})`, disabled: n === 0, group: EVERYONE_GROUP });
  }

  let valid = !!draftTo && options.some((o) => o.value === draftTo && !o.disabled);
  let blocked: string | null = null;
  let label = 'Message';
  if (draftTo.startsWith('peers:')) {
    const ids = draftTo.slice('peers:'.length).split(',').filter(Boolean);
    const away = ids.filter((id) => i.peersById.get(id)?.status === 'gone' || (i.loaded && !i.peersById.has(id)));
    if (away.length) { valid = false; blocked = `${names(away).join(' and ')} ${away.length === 1 ? 'has' : 'have'} ended: choose who gets it.`; }
    label = `Message to ${names(ids).join(' and ')}`;
  } else if (!draftTo) {
    blocked = !i.loaded && !i.live.length ? 'Not connected to the broker: nothing can be sent now.'
      : i.live.length ? 'Choose who gets it.' : 'No session to write to yet: start claude in a terminal.';
  } else if (!options.some((o) => o.value === draftTo)) {
    // Chosen before and not live now: shown as it was, never swapped for someone else.
    const p = i.peersById.get(draftTo);
    const name = p?.name ?? (i.ui.draft.toLabel || draftTo);
    const why = !i.loaded ? 'connecting' : 'gone';
    options.unshift({ value: draftTo, label: `${name} (${why})`, disabled: true, group: SESSIONS_GROUP });
    blocked = i.loaded ? `${name} has ended: choose who gets it.` : `Waiting for the broker before sending to ${name}.`;
    label = `Message to ${name}`;
  } else {
    const o = options.find((x) => x.value === draftTo)!;
    if (o.disabled) blocked = 'Nobody is there to get it: choose who gets it.';
    label = isScope(draftTo) ? `Message to ${o.label.replace(/ \(\d+\)$/, '').replace(/^Everyone/, 'everyone')}` : `Message to ${o.label}`;
  }
  const replyParent = i.ui.draft.replyTo != null ? i.byId.get(i.ui.draft.replyTo)?.[0] : undefined;
  return {
    recipients: options,
    draft: {
      to: draftTo,
      valid,
      blocked: valid ? null : blocked ?? 'Choose who gets it.',
      hint: valid || (!draftTo && i.live.length > 0) ? null : blocked ?? 'Choose who gets it.',
      broadcast: isScope(draftTo),
      label,
      replyTo: i.ui.draft.replyTo == null ? null : {
        id: i.ui.draft.replyTo,
        fromName: replyParent ? (replyParent.fromKind === 'human' ? 'you' : replyParent.fromName) : `#${i.ui.draft.replyTo}`,
        snippet: replyParent ? snippet(replyParent.body, 60) : '',
      },
    },
  };
}
