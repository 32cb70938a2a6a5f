// The one HTTP client of the broker, used by the MCP server, the hooks, the CLI and the extension.
// Plain node:http with a keep-alive agent: a send is one loopback round trip, no fetch overhead.
//
// Nothing that carries a credential or a user's words leaves before the listener on the port has
// proved it is our broker: every new connection first asks GET /v1/proof with a fresh nonce and
// checks the answer, an HMAC keyed by the join token over the nonce and the port dialled. Another
// user's process squatting the port (it cannot read the join token) gets a nonce and nothing else.
import http from 'node:http';
import net from 'node:net';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_PREFIX } from '../protocol/constants.ts';
import { PeersError } from '../protocol/errors.ts';
import { proofText } from '../protocol/credentials.ts';
import type { BrokerEvent, Health } from '../protocol/wire.ts';
import { readSecret, type PeersConfig } from '../common/config.ts';

/** An error answered by the broker (status ≥ 400), or of reaching it (status 0: down, timeout, not ours). */
export class BrokerError extends PeersError {}

export interface ClientOptions {
  port: number;
  /** The bearer this client acts with: the user's token, the join token or a session key. */
  credential: string | null;
  /** The join token: the broker must prove it knows it before anything is sent. */
  proofKey: string | null;
  /** Per-request timeout. Hooks use a short one so Claude Code is never held up. */
  timeoutMs?: number;
}

/** What listens on the port: our broker, something else (another home's broker, a squatter), or nothing. */
export type Probe = 'ours' | 'foreign' | 'none';

const notOurs = (port: number, why: string) => new BrokerError(0, 'not_our_broker',
  `Something listens on 127.0.0.1:${port} but could not prove it is your claude-peers broker (${why}); nothing was sent to it. ` +
  'It may be another user\'s program or a broker of another CLAUDE_PEERS_HOME: stop it, or set CLAUDE_PEERS_PORT (claudePeers.port in VS Code) to a free port.');

const down = (port: number) => new BrokerError(0, 'broker_down',
  `No claude-peers broker on 127.0.0.1:${port}. Open VS Code with the Claude Peers extension, or start one with "claude-peers broker", then retry.`);

/**
 * Opens a connection to the broker and has it prove itself before handing the socket to http.
 * The proof exchange is one small HTTP/1.1 request on the same keep-alive connection.
 */
export function verifiedConnection(port: number, proofKey: string | null, timeoutMs: number, done: (err: Error | null, s?: net.Socket) => void): void {
  if (!proofKey) {
    done(new BrokerError(0, 'no_secret', 'No claude-peers join token yet (no broker has started with this CLAUDE_PEERS_HOME): start VS Code with the extension or "claude-peers broker" first.'));
    return;
  }
  const nonce = randomBytes(16).toString('hex');
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let finished = false;
  const finish = (err: Error | null) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    sock.removeListener('data', onData);
    sock.removeListener('error', onError);
    sock.removeListener('close', onClose);
    if (err) { sock.destroy(); done(err); } else done(null, sock);
  };
  const timer = setTimeout(() => finish(new BrokerError(0, 'timeout', `The broker on port ${port} did not answer within ${timeoutMs} ms.`)), timeoutMs);
  const onError = (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? down(port) : new BrokerError(0, 'network', `Cannot reach the broker on port ${port}: ${e.message}`));
  const onClose = () => finish(notOurs(port, 'it closed the connection'));
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > 4096) return finish(notOurs(port, 'its answer is too long'));
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!/^HTTP\/1\.1 200 /.test(head) || !Number.isInteger(length)) return finish(notOurs(port, `it answered "${head.split('\r\n')[0].slice(0, 60)}"`));
    if (buf.length < end + 4 + length) return;
    let proof: unknown;
    try { proof = (JSON.parse(buf.subarray(end + 4, end + 4 + length).toString('utf8')) as { proof?: unknown }).proof; } catch { /* below */ }
    const want = createHmac('sha256', proofKey).update(proofText(port, nonce)).digest();
    const got = typeof proof === 'string' && /^[0-9a-f]{64}$/.test(proof) ? Buffer.from(proof, 'hex') : Buffer.alloc(0);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return finish(notOurs(port, 'wrong proof'));
    if (buf.length > end + 4 + length || /\r\nconnection:\s*close/i.test(head)) return finish(notOurs(port, 'a malformed proof answer'));
    finish(null);
  };
  sock.on('data', onData);
  sock.once('error', onError);
  sock.once('close', onClose);
  sock.once('connect', () => {
    sock.write(`GET ${API_PREFIX}/proof?nonce=${nonce} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/json\r\n\r\n`);
  });
}

/** A keep-alive agent whose every new socket is verified first. */
class VerifyingAgent extends http.Agent {
  constructor(private readonly port: number, private readonly key: () => string | null, private readonly timeoutMs: () => number) {
    super({ keepAlive: true, maxSockets: 64 });
  }

  override createConnection(_options: http.ClientRequestArgs, callback?: (err: Error | null, stream: net.Socket) => void): undefined {
    verifiedConnection(this.port, this.key(), Math.min(this.timeoutMs(), 5000), (err, sock) => callback?.(err, sock as net.Socket));
    return undefined;
  }
}

export class BrokerClient {
  readonly port: number;
  credential: string | null;
  proofKey: string | null;
  private readonly agent: VerifyingAgent;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.port = opts.port;
    this.credential = opts.credential;
    this.proofKey = opts.proofKey;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.agent = new VerifyingAgent(this.port, () => this.proofKey, () => this.timeoutMs);
  }

  /** The human at the panel or the CLI: the user's token. */
  static forUser(cfg: PeersConfig, timeoutMs?: number): BrokerClient {
    return new BrokerClient({ port: cfg.port, credential: readSecret(cfg.tokenPath), proofKey: readSecret(cfg.joinTokenPath), timeoutMs });
  }

  /** A session's processes before (and while) they register: the join token. */
  static forSession(cfg: PeersConfig, sessionKey: string | null, timeoutMs?: number): BrokerClient {
    return new BrokerClient({ port: cfg.port, credential: sessionKey, proofKey: readSecret(cfg.joinTokenPath), timeoutMs });
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  /** Re-reads the secrets (a broker started after us may have created them). */
  refreshSecrets(cfg: PeersConfig, user = false): void {
    this.proofKey = readSecret(cfg.joinTokenPath) ?? this.proofKey;
    if (user) this.credential = readSecret(cfg.tokenPath) ?? this.credential;
  }

  /** Who listens on the port, by the proof (no credential is sent). */
  probe(timeoutMs = 1000): Promise<Probe> {
    return new Promise((resolve) => {
      verifiedConnection(this.port, this.proofKey, timeoutMs, (err, sock) => {
        sock?.destroy();
        if (!err) return resolve('ours');
        const code = (err as BrokerError).code;
        resolve(code === 'broker_down' || code === 'timeout' || code === 'network' || code === 'no_secret' ? 'none' : 'foreign');
      });
    });
  }

  /** Health without a credential and without proof: only "some claude-peers answers here". */
  async health(timeoutMs = 1000): Promise<Health | null> {
    return new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method: 'GET', path: `${API_PREFIX}/health`, agent: false, timeout: timeoutMs }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { if (text.length < 4096) text += c; });
        res.on('end', () => {
          try {
            const h = JSON.parse(text) as Health;
            resolve(h?.ok === true && h.service === 'claude-peers' && typeof h.version === 'string' ? h : null);
          } catch { resolve(null); }
        });
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(null));
      req.end();
    });
  }

  get<T>(path: string, timeoutMs?: number): Promise<T> { return this.request<T>('GET', path, undefined, timeoutMs); }
  post<T>(path: string, body: unknown, timeoutMs?: number): Promise<T> { return this.request<T>('POST', path, body ?? {}, timeoutMs); }
  put<T>(path: string, body: unknown): Promise<T> { return this.request<T>('PUT', path, body); }

  request<T>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs, credential = this.credential): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
    if (credential) headers.Authorization = `Bearer ${credential}`;
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
              return reject(new BrokerError(res.statusCode ?? 0, 'bad_answer', `The broker on port ${this.port} answered with something that is not JSON (HTTP ${res.statusCode}).`));
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
        reject(e.code === 'ECONNREFUSED' ? down(this.port) : new BrokerError(0, 'network', `Cannot reach the broker on port ${this.port}: ${e.message}`));
      });
      req.end(payload);
    });
  }

  /**
   * Follows the event stream (one peer's inbox, or everything for the user), reconnecting with
   * jittered backoff until stopped, so many clients coming back after a broker restart do not all
   * arrive in the same millisecond. `onState` reports connected/disconnected.
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
        host: '127.0.0.1', port: this.port, method: 'GET', path: `${API_PREFIX}/events${q}`, agent: this.agent,
        headers: { Accept: 'text/event-stream', Authorization: `Bearer ${this.credential ?? ''}` },
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
      retry = setTimeout(() => { retry = null; connect(); }, delay / 2 + Math.random() * delay);
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

  close(): void { this.agent.destroy(); }
}
