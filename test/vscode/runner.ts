// A tiny test runner for the extension host (mocha is not a dependency): `test(name, fn)` registers,
// `runAll()` runs in order, each under a deadline, logs one line per test to the extension host's
// console (which @vscode/test-electron prints and the code-server harness collects) and rejects
// when any failed, which is how both runners learn the suite's exit code.
import { inspect } from 'node:util';

interface TestCase { name: string; fn: () => unknown; timeoutMs: number }
const cases: TestCase[] = [];

export function test(name: string, fn: () => unknown, opts: { timeoutMs?: number } = {}): void {
  cases.push({ name, fn, timeoutMs: opts.timeoutMs ?? 20_000 });
}

function withDeadline<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${name}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export async function runAll(suite: string): Promise<void> {
  const t0 = Date.now();
  const failures: string[] = [];
  console.log(`[vscode-tests] ${suite}: ${cases.length} tests`);
  for (const c of cases) {
    const t = Date.now();
    try {
      await withDeadline(Promise.resolve().then(c.fn), c.timeoutMs, c.name);
      console.log(`[vscode-tests] ✔ ${c.name} (${Date.now() - t} ms)`);
    } catch (e) {
      failures.push(c.name);
      const detail = e instanceof Error ? (e.stack ?? e.message) : inspect(e);
      console.log(`[vscode-tests] ✖ ${c.name} (${Date.now() - t} ms)\n${detail.split('\n').map((l) => `    ${l}`).join('\n')}`);
    }
  }
  const passed = cases.length - failures.length;
  console.log(`[vscode-tests] ${suite}: ${passed} passed, ${failures.length} failed in ${Date.now() - t0} ms`);
  if (failures.length) throw new Error(`${failures.length} of ${cases.length} extension tests failed: ${failures.join('; ')}`);
}
