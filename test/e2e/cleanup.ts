// Whatever a test leaves open is closed by cleanupAll(), registered automatically as an after()
// hook under `node --test` (so a timed-out test cannot hang the run), and the process groups of
// code-server are SIGKILLed when the test process exits.
import type { ChildProcess } from 'node:child_process';
import { sleep } from './waits.ts';

// Everything still open, closed by cleanupAll(): under `node --test` it runs after each test
// file's tests (even after a test timed out and never reached its own finally, which would
// otherwise leave Chromium keeping the test process alive forever).
export const openThings = new Set<() => Promise<void>>();

/** Closes every workbench and stops every code-server this process started and has not closed. */
export async function cleanupAll(): Promise<void> {
  const all = [...openThings];
  openThings.clear();
  await Promise.allSettled(all.map((f) => f()));
}

if (process.env.NODE_TEST_CONTEXT) {
  // Loaded by a test file run by node's test runner: clean up when its tests are done.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:test') as typeof import('node:test')).after(cleanupAll);
}


// Process groups to kill when the test process goes away, whatever the reason.
const liveGroups = new Set<number>();
let exitHookInstalled = false;
export function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const g of liveGroups) { try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ } }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { for (const g of liveGroups) { try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ } } process.exit(130); });
  }
}

/** SIGTERM a process group, SIGKILL it after `graceMs`; resolves once the leader has exited. */
export async function killGroup(proc: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = proc.pid;
  if (!pid) return;
  const exited = proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => proc.once('exit', () => r()));
  try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  // Children of the group (extension host, pty host, shells) may outlive the leader: always KILL.
  try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  if (!done) await Promise.race([exited, sleep(2000)]);
  liveGroups.delete(pid);
}
