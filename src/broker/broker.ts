// Starts and stops one broker: database, HTTP server on 127.0.0.1, liveness sweeps, discovery file.
// Used by `claude-peers broker` and by the VS Code extension host alike (no vscode import here).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase } from './sqlite.ts';
import { startCheckpointer, type CheckpointStats } from './checkpointer.ts';
import { Store } from './store.ts';
import { EventHub } from './events.ts';
import { createApp } from './http.ts';
import { ensureHome, readToken, writeDiscovery, VERSION, type PeersConfig } from '../common/config.ts';
import { isAlive } from '../common/process.ts';

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
  nativeBinding?: string;
}

export interface RunningBroker {
  port: number;
  url: string;
  token: string;
  store: Store;
  driver: string;
  checkpoints(): CheckpointStats;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  readonly code = 'port_in_use';
  constructor(readonly port: number) {
    super(`Port ${port} on 127.0.0.1 is already in use.`);
  }
}

const envInt = (name: string, dflt: number) => {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : dflt;
};

const CHECKPOINTS_WHERE = { starting: 'starting', worker: 'on a worker thread', inline: 'inline' } as const;

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const { config } = opts;
  const log = opts.log ?? (() => {});
  ensureHome(config);
  const token = readToken(config, true)!;
  const { db, fallbackReason } = openDatabase(config.dbPath, { nativeBinding: opts.nativeBinding });
  if (fallbackReason) log(`SQLite: using node:sqlite because ${fallbackReason}`);
  else log(`SQLite: using ${db.driver}`);
  const ttlMs = opts.ttlMs ?? envInt('CLAUDE_PEERS_TTL_MS', 15_000);
  let store: Store;
  try {
    store = new Store(db, { ttlMs, conflictWindowMs: opts.conflictWindowMs ?? envInt('CLAUDE_PEERS_CONFLICT_WINDOW_MS', 3_600_000) });
  } catch (e) {
    db.close();
    throw e;
  }
  const checkpointer = startCheckpointer(db, { log });
  const hub = new EventHub();
  const startedAt = new Date().toISOString();
  let boundPort = 0;
  const { handle, afterSweep, close: closeApp } = createApp({
    store, hub, token, startedAt, port: () => boundPort,
    dbLabel: () => `${db.driver} ${config.dbPath}, WAL checkpoints ${CHECKPOINTS_WHERE[checkpointer.stats().mode]}`,
  });

  const wanted = opts.port ?? config.port;
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer(handle).listen(wanted, config.host);
    s.once('listening', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) => {
      hub.close();
      void checkpointer.close().finally(() => db.close());
      reject(e.code === 'EADDRINUSE' ? new PortInUseError(wanted) : e);
    });
  });
  server.keepAliveTimeout = 60_000;
  boundPort = (server.address() as AddressInfo).port;
  writeDiscovery(config, { port: boundPort, pid: process.pid, version: VERSION, startedAt });

  const alive = opts.alive ?? isAlive;
  const sweep = () => {
    try {
      const gone = store.sweep(alive, (id) => hub.connected(id));
      for (const peer of gone) {
        log(`peer ${peer.name} (${peer.id}, pid ${peer.pid}) is gone`);
        hub.broadcast({ type: 'peer_gone', peer });
      }
      afterSweep();
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
    driver: db.driver,
    checkpoints: () => checkpointer.stats(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(sweeper);
        closeApp();
        hub.close();
        server.close(() => {
          void checkpointer.close().finally(() => {
            db.close(); // the last connection: checkpoints the WAL and removes it
            resolve();
          });
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
