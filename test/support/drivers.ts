// The SQLite drivers this runtime can open, for tests that must hold on each one. A test runs
// once per driver and skips, saying why, the drivers this Node cannot load (scripts/test.mjs runs
// the storage tests again on the other Nodes, so every driver is covered somewhere).
import { join } from 'node:path';
import { openDatabase, type DriverChoice } from '../../src/broker/sqlite.ts';
import { tempHome } from './processes.ts';

export interface DriverCase { name: DriverChoice; skip: string | false }

function probe(name: DriverChoice): string | false {
  try {
    openDatabase(join(tempHome('cp-probe-'), 'probe.db'), { driver: name }).db.close();
    return false;
  } catch (e) {
    return `${name} does not load on Node ${process.versions.node}: ${String((e as Error).message).split('\n')[0]}`;
  }
}

export const DRIVERS: DriverCase[] = (['better-sqlite3-13', 'better-sqlite3-12', 'node:sqlite'] as const).map((name) => ({ name, skip: probe(name) }));
