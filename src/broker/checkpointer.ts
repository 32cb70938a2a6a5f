// WAL checkpoints away from the broker's event loop.
//
// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1000 pages: it
// copies pages into the database file and fsyncs twice, a stall of a few milliseconds every
// hundred or so sends on the broker's only thread (about 35 µs per send on average on a small VM,
// and the p99 of a push). Here a worker thread with a connection of its own runs PASSIVE
// checkpoints, which neither wait for the writer nor make it wait.
//
// One thing only the writer can do: start the WAL over from its beginning. That happens at the
// first write after a checkpoint that caught up with every commit, which a checkpoint on another
// thread never does while commits keep landing during its fsyncs. So when the worker finds the WAL
// past RESTART_PAGES, the broker's connection runs one checkpoint of its own (the few pages since
// the worker's) and the file starts over; under sustained writes that is one short stall per
// RESTART_PAGES pages instead of one per thousand.
import { Worker } from 'node:worker_threads';
import type { Database, ReopenSpec } from './sqlite.ts';

export interface CheckpointerOptions {
  /** How often the worker checkpoints. */
  intervalMs?: number;
  /** WAL size (pages) past which the writer checkpoints itself so that the file can start over. */
  restartPages?: number;
  log?: (line: string) => void;
}

export interface CheckpointStats {
  /** Checkpoints by the worker, and the WAL pages they copied. */
  worker: number;
  workerPages: number;
  /** Checkpoints by the broker's own connection (to let the WAL start over). */
  own: number;
  /** Where checkpoints run: the worker is `starting`, runs them (`worker`), or could not (`inline`: SQLite's own). */
  mode: 'starting' | 'worker' | 'inline';
}

export interface Checkpointer {
  /** True once checkpoints run on the worker; false if they stayed on the broker's thread. */
  ready: Promise<boolean>;
  stats(): CheckpointStats;
  close(): Promise<void>;
}

const INTERVAL_MS = 200;
const RESTART_PAGES = 4096;
/** SQLite's default wal_autocheckpoint, restored when the worker cannot run. */
const AUTO_CHECKPOINT_PAGES = 1000;

/**
 * The worker's code, evaluated as CommonJS: it cannot import the bundle it was started from (the
 * extension's bundle imports `vscode`, which only exists on the extension host's main thread), so
 * it opens the database itself with what ReopenSpec names.
 */
const WORKER_SOURCE = `
const { parentPort, workerData: spec } = require('node:worker_threads');
let db, timer;
function open() {
  if (spec.driver === 'better-sqlite3') {
    const Better = require(spec.module);
    db = new Better(spec.path, spec.nativeBinding ? { nativeBinding: spec.nativeBinding } : {});
  } else {
    db = new (require('node:sqlite').DatabaseSync)(spec.path);
  }
  db.exec('PRAGMA busy_timeout = 1000');
  return db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
}
function close() {
  clearInterval(timer);
  try { db && db.close(); } catch {}
  parentPort.close(); // nothing left: the thread ends, and the broker sees it exit
}
try {
  const checkpoint = open();
  let before = 0;
  timer = setInterval(() => {
    try {
      const r = checkpoint.get();
      const done = Number(r.checkpointed);
      // Pages copied since the last call; smaller than before means the WAL started over meanwhile.
      parentPort.postMessage({ type: 'checkpointed', log: Number(r.log), copied: done >= before ? done - before : done });
      before = done;
    } catch (e) {
      parentPort.postMessage({ type: 'error', message: String((e && e.message) || e) });
    }
  }, spec.intervalMs);
  parentPort.postMessage({ type: 'ready' });
} catch (e) {
  parentPort.postMessage({ type: 'failed', message: String((e && e.message) || e) });
}
parentPort.on('message', (m) => { if (m === 'close') close(); });
`;

/**
 * Takes checkpoints off `db`'s thread once the worker has opened the database (SQLite's automatic
 * checkpoints run until then, so starting a broker waits for nothing); if it cannot, they stay on
 * and the reason is logged.
 */
export function startCheckpointer(db: Database, opts: CheckpointerOptions = {}): Checkpointer {
  const log = opts.log ?? (() => {});
  const restartPages = opts.restartPages ?? RESTART_PAGES;
  const stats: CheckpointStats = { worker: 0, workerPages: 0, own: 0, mode: 'starting' };
  let closed = false;
  const fallBack = (why: string): false => {
    if (stats.mode === 'inline') return false;
    stats.mode = 'inline';
    if (!closed) {
      db.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      log(`WAL checkpoints stay on the broker's thread: ${why}`);
    }
    return false;
  };

  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...db.reopen, intervalMs: opts.intervalMs ?? INTERVAL_MS } satisfies ReopenSpec & { intervalMs: number } });
  } catch (e) {
    const ready = Promise.resolve(fallBack((e as Error).message));
    return { ready, stats: () => ({ ...stats }), close: async () => { closed = true; } };
  }
  let ownPending = false;
  let exited = false;
  let lastError: string | undefined;
  const ownCheckpoint = () => {
    ownPending = false;
    if (closed) return;
    try {
      db.exec('PRAGMA wal_checkpoint(PASSIVE)');
      stats.own++;
    } catch (e) {
      log(`checkpoint failed: ${(e as Error).message}`);
    }
  };
  const ready = new Promise<boolean>((resolve) => {
    worker.on('message', (m: { type: string; log?: number; copied?: number; message?: string }) => {
      if (m.type === 'ready') {
        if (closed) return resolve(false);
        db.exec('PRAGMA wal_autocheckpoint = 0');
        // A WAL that grew in a burst is cut back to about this size when it starts over.
        db.exec(`PRAGMA journal_size_limit = ${restartPages * 4096}`);
        stats.mode = 'worker';
        resolve(true);
      } else if (m.type === 'failed') {
        resolve(fallBack(m.message ?? 'the worker could not open the database'));
        void worker.terminate();
      } else if (m.type === 'checkpointed') {
        if (m.copied) { stats.worker++; stats.workerPages += m.copied; }
        if ((m.log ?? 0) > restartPages && !ownPending && !closed) {
          ownPending = true;
          setImmediate(ownCheckpoint); // after the current callbacks, outside any transaction
        }
      } else if (m.type === 'error' && m.message !== lastError) {
        lastError = m.message; // once per distinct cause, not every interval
        log(`checkpoint failed: ${m.message}`);
      }
    });
    // A worker that dies hands checkpoints back to SQLite.
    worker.on('error', (e) => resolve(fallBack(e.message)));
    worker.on('exit', () => {
      exited = true;
      if (!closed) resolve(fallBack('the checkpoint worker exited'));
    });
  });
  // Once started, never what keeps a process alive (unref after the listeners: adding a 'message'
  // listener refs a worker again).
  void ready.then(() => worker.unref());

  return {
    ready,
    stats: () => ({ ...stats }),
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      if (exited) return Promise.resolve();
      worker.ref();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => { void worker.terminate(); }, 2000);
        worker.once('exit', () => { clearTimeout(timer); resolve(); });
        worker.postMessage('close');
      });
    },
  };
}
