// The one HTTP client of the broker, used by the MCP server, the hooks, the CLI and the extension.
// Plain node:http with a keep-alive agent: a send is one loopback round trip, no fetch overhead.
import http from 'node:http';
import { API_PREFIX, type BrokerEvent, type Health } from '../protocol/wire.ts';
import { readToken, type PeersConfig } from '../common/config.ts';

export class BrokerError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

export interface ClientOptions {
  port: number;
  token: string | null;
  /** Per-request timeout. Hooks use a short one so Claude Code is never held up. */
  timeoutMs?: number;
}

export class BrokerClient {
  readonly port: number;
  token: string | null;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.port = opts.port;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  static fromConfig(cfg: PeersConfig, timeoutMs?: number): BrokerClient {
    return new BrokerClient({ port: cfg.port, token: readToken(cfg), timeoutMs });
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  /** Health without auth; null when nothing (or something that is not our broker) answers. */
  async health(timeoutMs = 1000): Promise<Health | null> {
    try {
      const h = await this.request<Health>('GET', '/health', undefined, timeoutMs, false);
      return h && h.ok === true && typeof h.version === 'string' ? h : null;
    } catch {
      return null;
    }
  }

  get<T>(path: string): Promise<T> { return this.request<T>('GET', path); }
  post<T>(path: string, body: unknown, timeoutMs?: number): Promise<T> { return this.request<T>('POST', path, body ?? {}, timeoutMs); }
  put<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PUT', path, body); }

  request<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs, auth = true): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
    if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
    if (payload) { headers['Content-Type'] = 'application/json'; headers['Content-Length'] = payload.length; }
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: this.port, method, path: API_PREFIX + path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try { json = text ? JSON.parse(text) : {}; } catch {
              return reject(new BrokerError(res.statusCode ?? 0, 'not_a_broker', `Port ${this.port} answered with something that is not the claude-peers broker.`));
            }
            if ((res.statusCode ?? 500) >= 400) {
              const err = (json as { error?: { code?: string; message?: string } }).error;
              return reject(new BrokerError(res.statusCode ?? 500, err?.code ?? 'error', err?.message ?? `HTTP ${res.statusCode}`));
            }
            resolve(json as T);
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => req.destroy(new BrokerError(0, 'timeout', `The broker on port ${this.port} did not answer within ${timeoutMs} ms.`)), timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e instanceof BrokerError) return reject(e);
        reject(new BrokerError(0, e.code === 'ECONNREFUSED' ? 'broker_down' : 'network', e.code === 'ECONNREFUSED'
          ? `No claude-peers broker on 127.0.0.1:${this.port}. Start one with "claude-peers broker", or open VS Code with the Claude Peers extension.`
          : `Cannot reach the broker on port ${this.port}: ${e.message}`));
      });
      req.end(payload);
    });
  }

  /**
   * Follows the event stream (one peer's inbox, or everything when peerId is null), reconnecting
   * with backoff until stopped. `onState` reports connected/disconnected for logs and status UIs.
   */
  subscribe(
    peerId: string | null,
    onEvent: (e: BrokerEvent) => void,
    onState: (connected: boolean, err?: Error) => void = () => {},
  ): { close(): void } {
    let closed = false;
    let req: http.ClientRequest | null = null;
    let delay = 100;
    let retry: NodeJS.Timeout | null = null;
    const connect = () => {
      if (closed) return;
      const q = peerId ? `?peer=${encodeURIComponent(peerId)}` : '?all=1';
      req = http.request({
        host: '127.0.0.1', port: this.port, method: 'GET', path: `${API_PREFIX}/events${q}`,
        headers: { Accept: 'text/event-stream', Authorization: `Bearer ${this.token ?? ''}` },
      }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return again(new BrokerError(res.statusCode ?? 0, 'stream_refused', `Event stream refused with HTTP ${res.statusCode}`));
        }
        res.socket.setNoDelay(true);
        delay = 100;
        onState(true);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            for (const line of frame.split('\n')) {
              if (!line.startsWith('data: ')) continue;
              try { onEvent(JSON.parse(line.slice(6)) as BrokerEvent); } catch { /* a malformed frame is skipped */ }
            }
          }
        });
        res.on('end', () => again(new Error('stream ended')));
        res.on('error', (e) => again(e));
      });
      req.on('error', (e) => again(e));
      req.end();
    };
    const again = (err?: Error) => {
      if (closed || retry) return;
      req?.destroy();
      onState(false, err);
      retry = setTimeout(() => { retry = null; connect(); }, delay);
      delay = Math.min(delay * 2, 2000);
    };
    connect();
    return {
      close() {
        closed = true;
        if (retry) clearTimeout(retry);
        req?.destroy();
      },
    };
  }

  /** Re-reads the token file (a broker started after us may have created it). */
  refreshToken(cfg: PeersConfig): void {
    this.token = readToken(cfg) ?? this.token;
  }

  close(): void { this.agent.destroy(); }
}
