// The webview's side of the panel protocol: posts to the host, and requests that resolve with the
// host's response (or reject with its error text).
import type { PanelMethod, PanelParams, PanelResult, WebviewToHost } from '../src/protocol/panel.ts';

export interface VsCodeApi { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void }

export class HostChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly vscode: VsCodeApi) {}

  post(m: WebviewToHost): void {
    this.vscode.postMessage(m);
  }

  request<M extends PanelMethod>(method: M, params: PanelParams<M>): Promise<PanelResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ kind: 'request', id, method, params } as WebviewToHost);
    });
  }

  /** A response from the host: settles its request. */
  settle(id: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (ok) p.resolve(value); else p.reject(new Error(typeof value === 'string' ? value : 'The request failed.'));
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
