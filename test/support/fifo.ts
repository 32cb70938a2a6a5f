// A named pipe for tests (Node has no mkfifo of its own).
import { spawnSync } from 'node:child_process';

export function mkfifoSync(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr}`);
}
