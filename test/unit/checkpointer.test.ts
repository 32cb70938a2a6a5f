// WAL checkpoints on a worker thread: the writer's connection never checkpoints on its own, the
// WAL still starts over under sustained writes, a worker that cannot start hands checkpoints back
// to SQLite, and nothing written is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { openDatabase, type Database } from '../../src/broker/sqlite.ts';
import { startCheckpointer } from '../../src/broker/checkpointer.ts';
import { tempHome, waitFor } from '../support/processes.ts';

const nodeSqliteSkip = Number(process.versions.node.split('.')[0]) < 22 ? 'node:sqlite needs Node >= 22.5' : false;
const pragma = (db: Database, name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0];
const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
const turn = () => new Promise((r) => setImmediate(r));

/** Writes `mb` MiB in small transactions, yielding between them like the broker's event loop; returns the largest WAL seen. */
async function writeMiB(db: Database, path: string, mb: number): Promise<number> {
  const row = 'x'.repeat(1000);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  let maxWal = 0;
  for (let i = 0; i < mb * 100; i++) {
    db.transaction(() => { for (let k = 0; k < 10; k++) insert.run(row); });
    if (i % 10 === 0) maxWal = Math.max(maxWal, walBytes(path));
    await turn();
  }
  return maxWal;
}

for (const driver of ['better-sqlite3', 'node:sqlite'] as const) {
  test(`${driver}: the worker checkpoints, the WAL starts over under sustained writes, nothing is lost`, { skip: driver === 'node:sqlite' && nodeSqliteSkip }, async () => {
    const path = join(tempHome(), 'c.db');
    const { db } = openDatabase(path, { driver });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const cp = startCheckpointer(db, { intervalMs: 10, restartPages: 256 });
    assert.equal(await cp.ready, true, 'the worker opened the database');
    assert.equal(pragma(db, 'wal_autocheckpoint'), 0, 'the writer no longer checkpoints inside its commits');

    const maxWal = await writeMiB(db, path, 48);
    await waitFor(() => cp.stats().worker > 0, 5000, 'a checkpoint by the worker');
    const s = cp.stats();
    assert.ok(s.workerPages > 1000, `the worker copied the pages (${JSON.stringify(s)})`);
    assert.ok(s.own > 0, `the writer let the WAL start over (${JSON.stringify(s)})`);
    assert.ok(maxWal < 32 * 2 ** 20, `48 MiB written (a WAL that never starts over ends near 96 MiB), yet it stayed at most ${(maxWal / 2 ** 20).toFixed(1)} MiB`);

    await cp.close();
    db.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close removed the WAL');
    const { db: again } = openDatabase(path, { driver });
    assert.equal((again.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 48 * 100 * 10, 'every row is there');
    again.close();
  });
}

test('a worker that cannot open the database leaves checkpoints to SQLite, and says why', async () => {
  const path = join(tempHome(), 'f.db');
  const { db } = openDatabase(path, { driver: 'better-sqlite3' });
  const lines: string[] = [];
  const broken: Database = { ...db, reopen: { ...db.reopen, module: join(tempHome(), 'no-such-module.js') } };
  const cp = startCheckpointer(broken, { log: (l) => lines.push(l) });
  assert.equal(await cp.ready, false);
  assert.equal(pragma(db, 'wal_autocheckpoint'), 1000, 'SQLite checkpoints by itself again');
  assert.match(lines.join('\n'), /WAL checkpoints stay on the broker's thread: .*no-such-module/);
  assert.equal(cp.stats().mode, 'inline');
  await cp.close();
  db.close();
});
