// Webview views in the workbench: the document of a view's webview (two nested frames deep), and an
// accessibility check of it with axe-core.
import { readFileSync } from 'node:fs';
import type { Frame, Page } from 'playwright-core';
import { waitUntil } from './waits.ts';

// index, among iframe.webview.ready, of the webview view lying over the view titled `want`.
const FIND_WEBVIEW_VIEW = String.raw`function (want) {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim().toLowerCase();
  const w = norm(want);
  const titles = [];
  const areas = [];
  // A view in a container with several views: its pane header names it.
  for (const pane of document.querySelectorAll('.pane')) {
    const t = norm(pane.querySelector('.pane-header .title')?.textContent);
    if (t) titles.push(t);
    const body = pane.querySelector('.pane-body');
    if (t === w && body) areas.push(body.getBoundingClientRect());
  }
  // A view alone in its container: the side bar / panel / auxiliary bar title names it.
  for (const part of document.querySelectorAll('.part.sidebar, .part.panel, .part.auxiliarybar')) {
    const t = norm(part.querySelector('.composite.title .title-label')?.textContent);
    if (t) titles.push(t);
    if (t && (t === w || t.endsWith(': ' + w) || t.startsWith(w + ':'))) {
      const content = part.querySelector('.content');
      if (content) areas.push(content.getBoundingClientRect());
    }
  }
  const frames = Array.from(document.querySelectorAll('iframe.webview.ready'));
  for (const area of areas) {
    if (area.width <= 0 || area.height <= 0) continue;
    const idx = frames.findIndex((f) => {
      if (!(f.getAttribute('src') || '').includes('purpose=webviewView')) return false;
      const r = f.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0) return false;
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      return cx >= area.left && cx <= area.right && cy >= area.top && cy <= area.bottom;
    });
    if (idx >= 0) return { idx, titles };
  }
  return { idx: -1, titles };
}`;

/**
 * The content frame of a webview view (a sidebar/panel view contributed with a webview) whose
 * title is `viewTitle` (case-insensitive; the pane header's title, or the side bar/panel title
 * when the view is alone in its container). VS Code lays the webview over the view as an
 * `iframe.webview.ready` (outside the view's own DOM; its src has `purpose=webviewView`) whose
 * document holds the extension's HTML in `#active-frame`: this finds the iframe lying over the
 * view's body and returns that inner frame. The view must be visible (open it first, e.g. with
 * its "Focus on ... View" command).
 */
export async function webviewFrame(page: Page, viewTitle: string, opts: { timeoutMs?: number } = {}): Promise<Frame> {
  const timeout = opts.timeoutMs ?? 20_000;
  let seen = '';
  try {
    return await waitUntil(async () => {
      const found = await page.evaluate(`(${FIND_WEBVIEW_VIEW})(${JSON.stringify(viewTitle)})`) as { idx: number; titles: string[] };
      seen = found.titles.join(' | ');
      if (found.idx < 0) return undefined;
      const outer = await (await page.locator('iframe.webview.ready').nth(found.idx).elementHandle())?.contentFrame();
      const inner = await (await outer?.$('#active-frame'))?.contentFrame();
      // The inner document is replaced when the extension sets its HTML: wait until it has a body.
      if (!inner || !(await inner.evaluate(() => !!document.body && document.body.childElementCount > 0).catch(() => false))) return undefined;
      return inner;
    }, timeout, `webview view "${viewTitle}"`, 250);
  } catch (e) {
    throw new Error(`${(e as Error).message} (view titles on screen: ${seen || 'none'})`, { cause: e });
  }
}

export interface AxeFinding { id: string; impact: string | null; help: string; nodes: string[] }

/**
 * Runs axe-core (injected into the frame: the webview's CSP does not apply to the debugger's
 * evaluation) against the frame's document, WCAG 2.x A/AA and best practices. Returns every
 * violation, and the checks axe could not decide ("incomplete", e.g. a contrast over an image),
 * with the selectors of the nodes concerned.
 */
export async function runAxe(frame: Frame): Promise<{ violations: AxeFinding[]; incomplete: AxeFinding[] }> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await frame.evaluate(source);
  const run = `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations', 'incomplete'] })
    .then((r) => {
      const list = (xs) => xs.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)) }));
      return { violations: list(r.violations), incomplete: list(r.incomplete) };
    })`;
  return await frame.evaluate(run) as { violations: AxeFinding[]; incomplete: AxeFinding[] };
}

// Runs in the page (as a string: tsx's helpers such as __name do not exist there).
const TEXT_CONTRAST = String.raw`function (sel) {
  const el = document.querySelector(sel);
  if (!el) throw new Error('no ' + sel);
  const rgba = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = (c) => {
    const f = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  // The background: the first ancestor that paints an opaque one, translucent layers blended over it.
  const layers = [];
  for (let n = el; n; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    const a = c.length > 3 ? c[3] : 1;
    if (a > 0) layers.push([c[0], c[1], c[2], a]);
    if (a >= 1) break;
  }
  let bg = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) bg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
  const ls = [lum(rgba(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
  return (ls[0] + 0.05) / (ls[1] + 0.05);
}`;

/** The WCAG contrast ratio of the text of the first element matching `selector` on its painted background. */
export async function textContrast(frame: Frame, selector: string): Promise<number> {
  return await frame.evaluate(`(${TEXT_CONTRAST})(${JSON.stringify(selector)})`) as number;
}
