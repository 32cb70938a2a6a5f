// Small pieces of markup every renderer uses. All text goes through esc (the panel's one escaper);
// actions are `data-action` attributes handled by one delegated listener (the CSP forbids inline
// handlers).
import { escapeHtml } from '../../src/protocol/html.ts';

export const esc = escapeHtml;

export const icon = (name: string, extra = ''): string =>
  `<span class="codicon codicon-${name}${extra ? ` ${extra}` : ''}" aria-hidden="true"></span>`;

const dataAttrs = (data: Record<string, string>) => Object.entries(data).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');

/** A 22 px icon button whose accessible name is `label`. */
export function iconButton(action: string, label: string, iconName: string, data: Record<string, string>, key: string, extra = ''): string {
  return `<button type="button" class="icon-button"${extra} data-action="${action}"${dataAttrs(data)} data-key="${esc(key)}" aria-label="${esc(label)}" title="${esc(label)}">${icon(iconName)}</button>`;
}

/**
 * A text button styled as VS Code's buttons (primary or secondary). `more` is read after the
 * visible text by screen readers (the accessible name starts with what is seen).
 */
export function button(action: string, text: string, opts: { icon?: string; data?: Record<string, string>; key: string; secondary?: boolean; more?: string }): string {
  return `<button type="button" class="button${opts.secondary ? ' secondary' : ''}" data-action="${action}"${dataAttrs(opts.data ?? {})} data-key="${esc(opts.key)}">`
    + `${opts.icon ? icon(opts.icon) : ''}<span>${esc(text)}</span>${opts.more ? srOnly(opts.more) : ''}</button>`;
}

/** Text for screen readers only. */
export const srOnly = (text: string): string => `<span class="sr-only">${esc(text)}</span>`;

/** A count badge with a fuller text for screen readers. */
export function badge(n: number, spoken: string, cls = ''): string {
  if (!n) return '';
  return `<span class="badge${cls ? ` ${cls}` : ''}" title="${esc(spoken)}"><span aria-hidden="true">${n}</span><span class="sr-only">${esc(spoken)}</span></span>`;
}

/** `text` escaped, with every case-insensitive occurrence of `query` in <mark>. */
export function marked(text: string, query: string): string {
  if (!query) return esc(text);
  const hay = text.toLowerCase();
  const needle = query.toLowerCase();
  let out = '';
  let from = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) {
    out += `${esc(text.slice(from, i))}<mark>${esc(text.slice(i, i + needle.length))}</mark>`;
    from = i + needle.length;
  }
  return out + esc(text.slice(from));
}
