// Starts and stops one broker: database, HTTP server on 127.0.0.1, liveness sweeps, discovery file.
// Used by `claude-peers broker` and by the VS Code extension host alike (no vscode import here).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openBrokerDatabase } from './database-file.ts';
import { PeersError } from '../protocol/errors.ts';
import { Store } from './store.ts';
import type { Database } from './sqlite.ts';
import { createApp } from './http.ts';
import { ensureHome, ensureSecret, writeDiscovery, VERSION, type PeersConfig } from '../common/config.ts';
import { isAlive } from '../common/process.ts';
import type { FederationStatus } from '../protocol/wire.ts';
import { federationFromEnv, type FederationOptions } from './federation/config.ts';
import { Federation } from './federation/federation.ts';
import { FEDERATION_OFF } from './federation/port.ts';

export interface BrokerOptions {
  config: PeersConfig;
  /** 0 picks a free port (tests). Defaults to config.port. */
  port?: number;
  ttlMs?: number;
  sweepMs?: number;
  conflictWindowMs?: number;
  log?: (line: string) => void;
  /** Process liveness, injectable for tests. */
  alive?: (pid: number) => boolean;
  /** Where dist/native/<target>/better_sqlite3.node lives (the bundle's folder by default). */
  nativeDir?: string;
  /** The federation to join (docs/federation.md); null: none; undefined: as CLAUDE_PEERS_FEDERATION_* say. */
  federation?: FederationOptions | null;
}

export interface RunningBroker {
  port: number;
  url: string;
  token: string;
  store: Store;
  /** The SQLite driver as a person reads it (name, version, where its native code came from). */
  driver: string;
  /** Set when the database was found damaged at start: what happened and where the copy is. */
  recovered: string | null;
  /** This broker's place on a federation (`off` without one). */
  federation(): FederationStatus;
  close(): Promise<void>;
}

export class PortInUseError extends PeersError {
  constructor(readonly port: number) {
    super(0, 'port_in_use', `Port ${port} on 127.0.0.1 is already in use.`);
  }
}

const envInt = (name: string, dflt: number) => {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : dflt;
};

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const { config } = opts;
  const log = opts.log ?? (() => {});
  ensureHome(config);
  const token = ensureSecret(config, config.tokenPath, log);
  const joinToken = ensureSecret(config, config.joinTokenPath, log);

  // The port first: it is the machine-wide mutex, so a broker that loses a race to start never
  // touches the database (two first starts on a fresh home used to collide in its migrations).
  const wanted = opts.port ?? config.port;
  let serve: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => { res.writeHead(503).end(); };
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer((req, res) => serve(req, res)).listen(wanted, config.host);
    s.once('listening', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new PortInUseError(wanted) : e));
  });
  const stopServer = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });

  let db: Database;
  let store: Store;
  let recovered: string | null;
  try {
    const opened = openBrokerDatabase(config.dbPath, { nativeDir: opts.nativeDir }, log);
    db = opened.db;
    recovered = opened.recovered;
    for (const why of opened.skipped) log(`SQLite: not using ${why}`);
    log(`SQLite: ${db.label}`);
  } catch (e) {
    await stopServer();
    throw e;
  }
  const ttlMs = opts.ttlMs ?? envInt('CLAUDE_PEERS_TTL_MS', 15_000);
  try {
    store = new Store(db, { ttlMs, conflictWindowMs: opts.conflictWindowMs ?? envInt('CLAUDE_PEERS_CONFLICT_WINDOW_MS', 3_600_000) });
  } catch (e) {
    db.close();
    await stopServer();
    throw e;
  }
  const startedAt = new Date().toISOString();
  const boundPort = (server.address() as AddressInfo).port;
  const { handle, service, close: closeApp } = createApp({
    store, secrets: { token, joinToken }, startedAt, port: () => boundPort, home: config.home, log,
    dbLabel: () => `${db.label}, ${config.dbPath}`,
  });
  serve = handle;

  // Nothing leaves the machine unless a federation URL is set; NATS never holds up the local broker.
  const fedOptions = opts.federation === undefined ? federationFromEnv() : opts.federation;
  const federation = fedOptions ? new Federation({ service, options: fedOptions, home: config.home, log: (l) => log(`federation: ${l}`) }) : null;
  if (federation) {
    service.attachFederation(federation);
    federation.start();
  }

  server.keepAliveTimeout = 60_000;
  writeDiscovery(config, { port: boundPort, pid: process.pid, version: VERSION, startedAt });

  const alive = opts.alive ?? isAlive;
  const sweep = () => {
    try {
      for (const peer of service.sweep(alive)) log(`peer ${peer.name} (${peer.id}, pid ${peer.pid}) is gone`);
    } catch (e) {
      log(`sweep failed: ${(e as Error).message}`);
    }
  };
  const sweeper = setInterval(sweep, opts.sweepMs ?? envInt('CLAUDE_PEERS_SWEEP_MS', Math.min(2000, ttlMs / 2)));
  sweeper.unref();
  log(`broker ${VERSION} listening on http://${config.host}:${boundPort} (db ${config.dbPath})`);

  let closing: Promise<void> | null = null;
  return {
    port: boundPort,
    url: `http://${config.host}:${boundPort}`,
    token,
    store,
    driver: db.label,
    recovered,
    federation: () => federation?.status() ?? FEDERATION_OFF,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(sweeper);
        void (federation?.close() ?? Promise.resolve()).then(() => {
          service.attachFederation(null);
          closeApp();
          server.close(() => {
            db.close(); // the last connection: checkpoints the WAL and removes it
            resolve();
          });
          server.closeAllConnections();
        });
      });
      return closing;
    },
  };
}
