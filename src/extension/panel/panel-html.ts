// The peer panel's HTML document: a strict Content-Security-Policy with a fresh nonce, the
// stylesheets and the bundled script, and nothing inline. No vscode import (the caller passes
// the webview URIs as strings), so it is unit-tested in node.
import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../../protocol/html.ts';

export interface PanelHtmlInput {
  /** webview.cspSource */
  cspSource: string;
  /** webview.asWebviewUri(...) of dist/webview/panel.js, codicon.css and panel.css. */
  scriptUri: string;
  codiconsUri: string;
  styleUri: string;
  /** A fresh one per render; panelNonce() makes one. */
  nonce: string;
}

/** 128 random bits, base64: a CSP nonce. */
export function panelNonce(): string {
  return randomBytes(16).toString('base64');
}

export function panelHtml(i: PanelHtmlInput): string {
  const csp = [
    "default-src 'none'",
    // Stylesheets from the extension only: no <style> element, no style attribute.
    `style-src ${i.cspSource}`,
    `font-src ${i.cspSource}`,
    `img-src ${i.cspSource} data:`,
    `script-src 'nonce-${i.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(i.codiconsUri)}">
<link rel="stylesheet" href="${escapeHtml(i.styleUri)}">
<title>Peers</title>
</head>
<body>
<main id="app" aria-label="Claude peers"></main>
<script nonce="${escapeHtml(i.nonce)}" src="${escapeHtml(i.scriptUri)}"></script>
</body>
</html>`;
}
