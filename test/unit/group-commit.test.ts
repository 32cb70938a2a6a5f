// Group commit: concurrent sends share one transaction, a refused one stays alone, a failed
// commit fails the batch with its real cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../src/broker/sqlite.ts';
import { GroupCommit } from '../../src/broker/group-commit.ts';
import { tempHome } from '../support/processes.ts';
import { DRIVERS } from '../support/drivers.ts';

class Refused extends Error {}

for (const { name: driver, skip } of DRIVERS) {
  test(`${driver}: one commit for a burst; a refused item is rolled back alone`, { skip }, async () => {
    const { db } = openDatabase(join(tempHome(), 'g.db'), { driver });
    db.exec('CREATE TABLE t (v TEXT NOT NULL)');
    let transactions = 0;
    const wrapped = { ...db, transaction: <T>(fn: () => T) => { transactions++; return db.transaction(fn); } };
    const g = new GroupCommit(wrapped, (v: string) => db.transaction(() => {
      db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
      if (v === 'bad') throw new Refused('no');
      return v.toUpperCase();
    }), (e) => e instanceof Refused);
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((v) => g.submit(v)));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((results[0] as PromiseFulfilledResult<string>).value, 'A');
    assert.equal(transactions, 1, 'the three shared one outer transaction');
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY rowid').all().map((r) => r.v), ['a', 'c']);

    // Anything else fails the whole batch with the original error.
    const boom = new GroupCommit(db, (v: string) => { if (v === 'x') throw new Error('disk is full'); return v; }, () => false);
    const r2 = await Promise.allSettled(['ok', 'x'].map((v) => boom.submit(v)));
    assert.deepEqual(r2.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((r2[0] as PromiseRejectedResult).reason), /disk is full/);
    db.close();
  });
}
