// The database file under the broker's write pattern, on every driver: the WAL stays bounded
// without any timer or second thread, nothing written is lost, and the file is private.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { openDatabase } from '../../src/broker/sqlite.ts';
import { Store } from '../../src/broker/store.ts';
import { DRIVERS } from '../support/drivers.ts';
import { tempHome } from '../support/processes.ts';

const MiB = 2 ** 20;
const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

for (const d of DRIVERS) {
  test(`${d.name}: the WAL stays under 64 MiB while 200 MiB of messages are written, and every one is kept`, { skip: d.skip }, () => {
    const path = join(tempHome(), 'peers.db');
    const { db } = openDatabase(path, { driver: d.name });
    const store = new Store(db, { ttlMs: 60_000, conflictWindowMs: 60_000 });
    const a = store.upsertPeer({ pid: 1, cwd: '/w', keyHash: 'a' });
    const b = store.upsertPeer({ pid: 2, cwd: '/w', keyHash: 'b' });
    const to = [{ id: b.id, name: b.name }];
    const body = 'x'.repeat(32 * 1024 - 16);
    // Batches of the sizes the broker's group commit makes, from one send to a full batch of 256.
    const sizes = [1, 3, 16, 64, 256];
    let written = 0;
    let sent = 0;
    let maxWal = 0;
    for (let i = 0; written < 200 * MiB; i++) {
      const n = sizes[i % sizes.length];
      db.transaction(() => { for (let k = 0; k < n; k++) store.insertMessage({ sender: a, recipients: to, broadcast: null, body: `${sent + k} ${body}`, replyTo: null }); });
      sent += n;
      written += n * body.length;
      maxWal = Math.max(maxWal, walBytes(path));
    }
    assert.ok(maxWal < 64 * MiB, `${(written / MiB).toFixed(0)} MiB written; the WAL peaked at ${(maxWal / MiB).toFixed(1)} MiB`);
    db.close();
    assert.equal(existsSync(`${path}-wal`), false, 'closing the only connection checkpoints and removes the WAL');
    const { db: again } = openDatabase(path, { driver: d.name });
    const n = again.prepare('SELECT count(*) AS n FROM deliveries WHERE to_id = ?').get<{ n: number }>(b.id)!.n;
    assert.equal(n, sent, 'every message is there after a reopen');
    again.close();
  });
}
