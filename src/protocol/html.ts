// The one HTML escaper of the panel, for the host's page and the webview's markup alike. Text from
// peers is untrusted: everything interpolated into HTML, as text or in a quoted attribute, goes
// through here.
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}
